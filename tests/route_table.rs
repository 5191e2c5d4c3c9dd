//! The route table (`berth::routes()`, `berth::metrics_routes()`) is written down by the
//! same `configure` calls that build the router, so it cannot list a route the code lacks
//! or miss one it has. What is left to check: that it is a real list (no route twice, every
//! dialect in it), that each route declares the dialect whose envelope its path gets, and
//! that the router really serves each route by its own pattern: hit with its method, it is
//! neither shadowed by an earlier pattern nor left to the default 404, and its errors
//! leave in its dialect's envelope.

mod common;
// For its envelope rules (`judge`), shared with the hostile-input sweep.
#[allow(dead_code)]
mod hostile_support;

use std::collections::BTreeSet;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::test::{init_service, read_body, TestRequest};

use berth::route_table::Route;
use common::routes::{Dialect, ROUTES};
use common::TestApp;
use hostile_support::envelope::{judge, Envelope};
use hostile_support::http::Answer;

#[test]
fn the_table_lists_each_route_once_and_every_dialect() {
    assert!(ROUTES.len() > 100, "only {} routes", ROUTES.len());
    let mut seen = BTreeSet::new();
    for r in ROUTES.iter() {
        assert!(seen.insert((r.method, r.path.as_str())), "twice: {r:?}");
    }
    for d in [
        Dialect::Dtr,
        Dialect::V1,
        Dialect::Cloud,
        Dialect::RegistryUi,
        Dialect::Web,
        Dialect::Generic,
    ] {
        assert!(ROUTES.iter().any(|r| r.dialect == d), "no {d:?} route");
    }
}

/// A route's configure names its dialect; the path decides the envelope its errors get.
/// The two must agree (a DTR route outside `/api/v0` would answer in another envelope).
#[test]
fn every_route_declares_the_dialect_of_its_path() {
    for r in ROUTES.iter() {
        assert_eq!(r.dialect, Dialect::for_path(&r.path), "{r:?}");
    }
}

/// The API routes whose body may be a form (`api::guard`) are routes.
#[test]
fn form_routes_are_in_the_table() {
    for (method, path) in berth::api::guard::FORM_ROUTES {
        assert!(
            ROUTES
                .iter()
                .any(|r| r.method == *method && r.path == *path),
            "{method} {path}"
        );
    }
}

#[test]
fn every_route_is_served_by_its_own_pattern_and_errs_in_its_envelope() {
    let app = TestApp::start();
    let wrong = actix_web::rt::System::new().block_on(async {
        let public = init_service(berth::app(app.state.clone())).await;
        let metrics = init_service(berth::metrics_app(app.state.clone())).await;
        let mut wrong = Vec::new();
        for route in berth::routes() {
            wrong.extend(hit(&public, &route).await.err());
        }
        let metrics_routes = berth::metrics_routes();
        assert!(!metrics_routes.is_empty());
        for route in metrics_routes {
            wrong.extend(hit(&metrics, &route).await.err());
        }
        wrong
    });
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Send `route` its method on its path (parameters filled, anonymous, no body) and check
/// which pattern served it and how it answered.
async fn hit<S, B>(service: &S, route: &Route) -> Result<(), String>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let target = route.fill(|p| format!("p-{p}"));
    let what = format!("{} {target} ({})", route.method, route.path);
    let method = Method::from_bytes(route.method.as_bytes()).map_err(|e| format!("{what}: {e}"))?;
    let req = TestRequest::default()
        .method(method)
        .uri(&target)
        .peer_addr(([127, 0, 0, 1], 40000).into())
        .to_request();
    let res = service
        .call(req)
        .await
        .map_err(|e| format!("{what}: no answer: {e}"))?;
    // `match_pattern` is the first pattern the path fits, guards aside; the router fills in
    // the parameters only for the resource that took the request, so both together say
    // this resource served it.
    let pattern = res.request().match_pattern();
    if pattern.as_deref() != Some(route.path.as_str()) {
        return Err(format!("{what}: served by {pattern:?}"));
    }
    let info = res.request().match_info();
    let mut uncaptured = Vec::new();
    route.fill(|p| {
        if info.get(p) != Some(format!("p-{p}").as_str()) {
            uncaptured.push(p.to_owned());
        }
        String::new()
    });
    if !uncaptured.is_empty() {
        return Err(format!(
            "{what}: not served by its resource (a guard refused it?)"
        ));
    }
    let status = res.status().as_u16();
    if status == 405 {
        return Err(format!("{what}: 405, the method is not the pattern's"));
    }
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| {
            let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (k.as_str().to_ascii_lowercase(), v)
        })
        .collect();
    let body = read_body(res).await.to_vec();
    let answer = Answer {
        status,
        headers,
        body,
    };
    judge(Envelope::of_target(&target), false, &answer)
        .map(|_| ())
        .map_err(|e| format!("{what}: {e}"))
}
