//! Index v1 shapes. Bodies in: an image list and a tag's image id, the two bodies the
//! contract makes other than an object. Answers out declare their keys in sorted order: they
//! were `json!` values once, and their bytes stay as clients have seen them.

use serde::{Deserialize, Serialize};

use crate::api::body::{self, FromJson};
use crate::core::model::Repository;
use crate::core::search::SearchPage;
use crate::error::Result;
use crate::store::tags::Image;

/// One image as Index clients send it: `{"id", "checksum"?, "Tag"?}`. `Tag` is accepted and
/// ignored: tags arrive through the registry-role tag routes.
#[derive(Debug, Deserialize)]
pub struct ImageIn {
    id: String,
    #[serde(default)]
    checksum: Option<String>,
    #[serde(default, rename = "Tag")]
    _tag: Option<String>,
}

/// A pushed image list, `[{"id", ...}, ...]`.
#[derive(Debug)]
pub struct ImageList(pub Vec<ImageIn>);

impl FromJson for ImageList {
    fn from_json(bytes: &[u8]) -> Result<Self> {
        body::any(bytes).map(ImageList)
    }
}

impl ImageList {
    pub fn into_images(self) -> Vec<Image> {
        self.0
            .into_iter()
            .map(|i| Image {
                image_id: i.id,
                checksum: i.checksum,
            })
            .collect()
    }
}

/// The body of a tag `PUT`: the image id as a JSON string.
#[derive(Debug)]
pub struct ImageId(pub String);

impl FromJson for ImageId {
    fn from_json(bytes: &[u8]) -> Result<Self> {
        body::any(bytes).map(ImageId)
    }
}

/// One element of `GET .../images`.
#[derive(Debug, Serialize)]
pub struct ImageDto {
    pub checksum: Option<String>,
    pub id: String,
}

impl From<&Image> for ImageDto {
    fn from(i: &Image) -> Self {
        ImageDto {
            checksum: i.checksum.clone(),
            id: i.image_id.clone(),
        }
    }
}

/// `GET /v1/search` answer.
#[derive(Debug, Serialize)]
pub struct SearchAnswer {
    pub num_pages: i64,
    pub num_results: i64,
    pub page: i64,
    pub page_size: i64,
    pub query: String,
    pub results: Vec<SearchResult>,
}

impl SearchAnswer {
    pub fn new(query: String, found: &SearchPage) -> Self {
        SearchAnswer {
            num_pages: found.num_pages(),
            num_results: found.total,
            page: found.page,
            page_size: found.page_size,
            query,
            results: found.results.iter().map(SearchResult::from).collect(),
        }
    }
}

/// One search result.
#[derive(Debug, Serialize)]
pub struct SearchResult {
    pub description: String,
    pub is_automated: bool,
    pub is_official: bool,
    pub is_public: bool,
    pub name: String,
    pub star_count: i64,
}

impl From<&Repository> for SearchResult {
    fn from(r: &Repository) -> Self {
        SearchResult {
            description: r.short_description.clone(),
            is_automated: false,
            is_official: r.is_library(),
            is_public: r.is_public,
            name: r.full_path.clone(),
            star_count: r.star_count,
        }
    }
}
