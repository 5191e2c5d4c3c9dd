//! The `/v1` route table. The Index (`api::index`) and Alauda (`api::alauda`) dialects share
//! the path space `/v1/repositories`; where one path and method serve both, the request
//! decides, row by row as `docs/index.md` says:
//!
//! | request | serves |
//! |---|---|
//! | `GET /v1/repositories/{a}` | Alauda list of namespace `a` |
//! | `POST /v1/repositories/{a}` | Alauda create in `a` |
//! | `PUT` / `DELETE /v1/repositories/{a}` | Index create / delete of `library/a` |
//! | `GET /v1/repositories/{a}/{b}` | Alauda detail |
//! | `PUT /v1/repositories/{a}/{b}` | array body: Index create-and-push; object: Alauda update; else 400 |
//! | `DELETE /v1/repositories/{a}/{b}` | `X-Docker-Token: true`: Index delete, 202; Index access token: 200; else Alauda delete, 204 |
//! | `GET /v1/repositories/{a}/{b}/tags` | Index access token: `{tag: id}`; else the Alauda list |
//! | `.../{a}/images`, `.../{a}/auth` | Index library sub-resources |
//! | `.../{a}/{b}/images`, `.../auth`, `.../tags/{t}`, `.../star` | Index |
//!
//! Metrics and the access log read the same table from `dialect::OnV1::of_route` (by route
//! pattern); where the request decides, the handler below notes which side answered.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use super::body::{FromJson, JsonBody};
use super::dialect::{note_served_by, Dialect, OnV1};
use super::index::dto::ImageList;
use super::{alauda, index};
use crate::auth::extract::MaybeUser;
use crate::core::names::LIBRARY;
use crate::error::{Code, Error, Result};

use crate::route_table::Routes;
use crate::AppState;

pub fn configure(routes: &mut Routes) {
    use alauda::{login, repos as arepos};
    use index::{images, repos as irepos, search, stars, tags, users};
    routes
        .dialect(Dialect::V1)
        .resource("/v1/_ping", |r| r.get(search::ping))
        .resource("/v1/search", |r| r.get(search::search))
        .resource("/v1/users", |r| {
            r.get(users::login_check).post(users::register)
        })
        .resource("/v1/users/{username}", |r| r.put(users::update))
        .resource("/v1/generate-api-token", |r| {
            r.post(login::generate_api_token)
        })
        .resource("/v1/auth/{ns}/profile", |r| r.get(login::profile))
        .resource("/v1/regions/{ns}", |r| r.get(login::regions))
        // Library sub-resources first: `images` and `auth` are reserved repository names.
        .resource("/v1/repositories/{a}/images", |r| {
            r.get(images::get_library).put(images::put_library)
        })
        .resource("/v1/repositories/{a}/auth", |r| {
            r.put(irepos::authorize_library)
        })
        .resource("/v1/repositories/{a}", |r| {
            r.get(arepos::list)
                .post(arepos::create)
                .put(put_library)
                .delete(delete_library)
        })
        .resource("/v1/repositories/{a}/{b}/images", |r| {
            r.get(images::get).put(images::put)
        })
        .resource("/v1/repositories/{a}/{b}/auth", |r| {
            r.put(irepos::authorize)
        })
        .resource("/v1/repositories/{a}/{b}/star", |r| {
            r.put(stars::star).delete(stars::unstar)
        })
        .resource("/v1/repositories/{a}/{b}/tags", |r| r.get(get_tags))
        .resource("/v1/repositories/{a}/{b}/tags/{tag}", |r| {
            r.get(tags::get).put(tags::put).delete(tags::delete)
        })
        .resource("/v1/repositories/{a}/{b}", |r| {
            r.get(arepos::detail)
                .put(put_repository)
                .delete(delete_repository)
        });
}

/// What a `PUT` body is: an Index image list or an Alauda update object (read as its
/// handler reads it, once this one has said whose it is).
enum PutBody {
    Images(ImageList),
    Update(Map<String, Value>),
}

impl FromJson for PutBody {
    fn from_json(body: &[u8]) -> Result<Self> {
        match serde_json::from_slice::<Value>(body).map_err(Error::invalid_json)? {
            v @ Value::Array(_) => serde_json::from_value(v)
                .map(|images| PutBody::Images(ImageList(images)))
                .map_err(Error::invalid_json),
            Value::Object(fields) => Ok(PutBody::Update(fields)),
            _ => Err(Error::new(
                Code::InvalidJson,
                "expected an image list (Index) or an object of repository fields (Alauda)",
            )),
        }
    }
}

/// `PUT /v1/repositories/{a}/{b}`: array = Index create-and-push, object = Alauda update.
async fn put_repository(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeUser,
    p: web::Path<(String, String)>,
    body: JsonBody<PutBody>,
) -> Result<HttpResponse> {
    let (ns, name) = p.into_inner();
    match body.into_inner() {
        PutBody::Images(images) => {
            note_served_by(&req, OnV1::Index);
            index::repos::create_and_push(state, req, who, ns, name, images).await
        }
        PutBody::Update(fields) => {
            note_served_by(&req, OnV1::Alauda);
            alauda::repos::update(state, who.caller, ns, name, fields).await
        }
    }
}

/// `PUT /v1/repositories/{a}`: Index create-and-push of `library/a` (site admins).
async fn put_library(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeUser,
    a: web::Path<String>,
    body: JsonBody<PutBody>,
) -> Result<HttpResponse> {
    match body.into_inner() {
        PutBody::Images(images) => {
            index::repos::create_and_push(
                state,
                req,
                who,
                LIBRARY.to_owned(),
                a.into_inner(),
                images,
            )
            .await
        }
        PutBody::Update(_) => Err(Error::new(Code::InvalidJson, "expected an image list")),
    }
}

/// `DELETE /v1/repositories/{a}/{b}`: Index delete with `X-Docker-Token: true` (202), registry
/// delete with an Index access token (200), otherwise the Alauda delete (204).
async fn delete_repository(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeUser,
    p: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = p.into_inner();
    if index::token::wanted(&req) {
        note_served_by(&req, OnV1::Index);
        index::repos::delete_as_index(state, req, who, ns, name).await
    } else if who.has_access_token() {
        note_served_by(&req, OnV1::Index);
        index::repos::delete_as_registry(state, who, ns, name).await
    } else {
        note_served_by(&req, OnV1::Alauda);
        alauda::repos::delete(state, who.caller, ns, name).await
    }
}

/// `DELETE /v1/repositories/{a}`: the Index delete of `library/a`; 202 `""` (with token
/// headers when asked), or 200 `""` with an access token.
async fn delete_library(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeUser,
    a: web::Path<String>,
) -> Result<HttpResponse> {
    let name = a.into_inner();
    if who.has_access_token() && !index::token::wanted(&req) {
        return index::repos::delete_as_registry(state, who, LIBRARY.to_owned(), name).await;
    }
    index::repos::delete_as_index(state, req, who, LIBRARY.to_owned(), name).await
}

/// `GET /v1/repositories/{a}/{b}/tags`: `{tag: id}` for an Index access token, else the Alauda list.
async fn get_tags(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeUser,
    p: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = p.into_inner();
    if who.has_access_token() {
        note_served_by(&req, OnV1::Index);
        index::tags::list(state, who, ns, name).await
    } else {
        note_served_by(&req, OnV1::Alauda);
        alauda::repos::tags(state, who.caller, ns, name).await
    }
}
