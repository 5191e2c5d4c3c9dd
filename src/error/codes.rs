//! Every error code Berth answers with, registered once with its HTTP status (the way
//! distribution's `errcode` registry does it). A code is what clients and tests compare: the
//! DTR envelope carries it (`{"errors":[{"code": ...}]}`), the other dialects carry only the
//! message, and code inside Berth tells errors apart by it ([`super::Error::is`]). The message
//! stays at the place that raises the error, where the dialect's wording is chosen.
//!
//! `docs/errors.md` lists the same table for readers; a unit test keeps the two equal.

use actix_web::http::StatusCode;

macro_rules! codes {
    ($($(#[doc = $doc:literal])+ $name:ident = $status:ident, $text:literal;)+) => {
        /// A stable machine code of an error answer, with its status.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[doc = $doc])+ $name,)+
        }

        impl Code {
            /// Every registered code, in registry order.
            pub const ALL: &'static [Code] = &[$(Code::$name,)+];

            /// The code as clients see it (`NO_SUCH_REPOSITORY`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => $text,)+
                }
            }

            /// The status every answer with this code has (a framework refusal keeps the
            /// framework's own 4xx under [`Code::InvalidRequest`]; see `Error::from_status`).
            pub const fn status(self) -> StatusCode {
                match self {
                    $(Code::$name => StatusCode::$status,)+
                }
            }

            /// What the code means, for `docs/errors.md`.
            pub fn describe(self) -> &'static str {
                match self {
                    $(Code::$name => concat!($($doc),+).trim_ascii(),)+
                }
            }
        }
    };
}

codes! {
    // Requests the framework or the envelope refuses, whatever the route.
    /// The request is malformed in a way the framework noticed (its own 4xx status is kept).
    InvalidRequest = BAD_REQUEST, "INVALID_REQUEST";
    /// The body is not the JSON object the route takes.
    InvalidJson = BAD_REQUEST, "INVALID_JSON";
    /// The query string does not fit the route's parameters.
    InvalidQuery = BAD_REQUEST, "INVALID_QUERY";
    /// A form body (RegistryUI's form routes) that is not UTF-8 or does not fit the route.
    InvalidBody = BAD_REQUEST, "INVALID_BODY";
    /// A web form that was incomplete or malformed.
    InvalidForm = BAD_REQUEST, "INVALID_FORM";
    /// No route has this path.
    NotFound = NOT_FOUND, "NOT_FOUND";
    /// The path exists, the method does not.
    MethodNotAllowed = METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED";
    /// The request body stopped arriving before it was complete.
    RequestTimeout = REQUEST_TIMEOUT, "REQUEST_TIMEOUT";
    /// The request body is larger than the route accepts.
    PayloadTooLarge = PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE";
    /// A form body type (`text/plain`, urlencoded, multipart) on an API route that takes JSON.
    UnsupportedMediaType = UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE";
    /// A browser marked an API write as coming from another site's page.
    CrossSiteRequest = FORBIDDEN, "CROSS_SITE_REQUEST";
    /// A web form post without this session's anti-forgery token, or from another site.
    CsrfRefused = FORBIDDEN, "CSRF_REFUSED";
    /// A failure inside Berth; the cause is in the log, never in the answer.
    InternalError = INTERNAL_SERVER_ERROR, "INTERNAL_ERROR";
    /// The key that seals stored secrets cannot be read (the store still serves everything
    /// else).
    SecretsKeyUnavailable = SERVICE_UNAVAILABLE, "SECRETS_KEY_UNAVAILABLE";
    /// An operator command (`berth admin ...`) failed; printed by the CLI, never answered over
    /// HTTP.
    Operator = INTERNAL_SERVER_ERROR, "OPERATOR";

    // Who is asking.
    /// No usable credentials: a 401 with a Basic challenge.
    NotAuthenticated = UNAUTHORIZED, "NOT_AUTHENTICATED";
    /// The caller is known but may not do this.
    NotAuthorized = FORBIDDEN, "NOT_AUTHORIZED";
    /// The account is deactivated (Index's clients compare the bare string).
    AccountInactive = FORBIDDEN, "ACCOUNT_INACTIVE";
    /// Too many failed logins from this client or for this account; `Retry-After` says when.
    TooManyAttempts = TOO_MANY_REQUESTS, "TOO_MANY_ATTEMPTS";
    /// An Index access token that is invalid, expired or for another repository.
    InvalidToken = FORBIDDEN, "INVALID_TOKEN";
    /// A password change by a caller who proved itself with a key or token, not a password.
    PasswordRequired = FORBIDDEN, "PASSWORD_REQUIRED";
    /// Sign-up is closed on this site.
    RegistrationClosed = FORBIDDEN, "REGISTRATION_CLOSED";

    // Things that are not there (or that the caller may not see: the same answer).
    /// No such repository, or one the caller may not see.
    NoSuchRepository = NOT_FOUND, "NO_SUCH_REPOSITORY";
    /// No such account, or one the caller may not see.
    NoSuchAccount = NOT_FOUND, "NO_SUCH_ACCOUNT";
    /// No such team in the organization.
    NoSuchTeam = NOT_FOUND, "NO_SUCH_TEAM";
    /// No such tag in the repository.
    NoSuchTag = NOT_FOUND, "NO_SUCH_TAG";
    /// No such grant.
    NoSuchGrant = NOT_FOUND, "NO_SUCH_GRANT";
    /// No such external repository (Docker Cloud).
    NoSuchExternalRepository = NOT_FOUND, "NO_SUCH_EXTERNAL_REPOSITORY";
    /// No such external registry (Docker Cloud).
    NoSuchRegistry = NOT_FOUND, "NO_SUCH_REGISTRY";
    /// The user is not a member of the team.
    NotAMember = NOT_FOUND, "NOT_A_MEMBER";
    /// The image named by a tag write does not belong to this repository.
    NoSuchImage = BAD_REQUEST, "NO_SUCH_IMAGE";

    // Names and values that do not pass validation.
    /// An account name outside the naming rule.
    InvalidAccountName = BAD_REQUEST, "INVALID_ACCOUNT_NAME";
    /// An account type other than user or organization.
    InvalidAccountType = BAD_REQUEST, "INVALID_ACCOUNT_TYPE";
    /// A repository name outside the naming rule.
    InvalidRepositoryName = BAD_REQUEST, "INVALID_REPOSITORY_NAME";
    /// A tag name outside the naming rule.
    InvalidTag = BAD_REQUEST, "INVALID_TAG";
    /// An image id that is not 64 lowercase hex digits.
    InvalidImageId = BAD_REQUEST, "INVALID_IMAGE_ID";
    /// An image checksum that is not well formed.
    InvalidChecksum = BAD_REQUEST, "INVALID_CHECKSUM";
    /// A team name outside the naming rule.
    InvalidTeamName = BAD_REQUEST, "INVALID_TEAM_NAME";
    /// A team description longer than 100 characters.
    InvalidTeamDescription = BAD_REQUEST, "INVALID_TEAM_DESCRIPTION";
    /// A team type other than "managed", the one kind of team Berth keeps.
    InvalidTeamType = BAD_REQUEST, "INVALID_TEAM_TYPE";
    /// A repository description longer than its limit.
    InvalidDescription = BAD_REQUEST, "INVALID_DESCRIPTION";
    /// A visibility other than public or private.
    InvalidVisibility = BAD_REQUEST, "INVALID_VISIBILITY";
    /// An access level other than read-only, read-write or admin.
    InvalidAccessLevel = BAD_REQUEST, "INVALID_ACCESS_LEVEL";
    /// A web form's access level choice that is missing or unknown.
    InvalidLevel = BAD_REQUEST, "INVALID_LEVEL";
    /// A password that is missing or outside the length rule (8 characters to 72 bytes).
    InvalidPassword = BAD_REQUEST, "INVALID_PASSWORD";
    /// The old password given with a password change is not right.
    InvalidOldPassword = BAD_REQUEST, "INVALID_OLD_PASSWORD";
    /// The web settings form's current password is not right.
    WrongPassword = BAD_REQUEST, "WRONG_PASSWORD";
    /// An email address that is not one.
    InvalidEmail = BAD_REQUEST, "INVALID_EMAIL";
    /// An API key's name outside the naming rule.
    InvalidKeyName = BAD_REQUEST, "INVALID_KEY_NAME";
    /// External registry credentials that are too long or hold control characters.
    InvalidCredentials = BAD_REQUEST, "INVALID_CREDENTIALS";
    /// A RegistryUI path that does not name a folder.
    InvalidFolder = BAD_REQUEST, "INVALID_FOLDER";
    /// A paging parameter out of range.
    InvalidPaging = BAD_REQUEST, "INVALID_PAGING";
    /// A RegistryUI parameter with a value it does not take.
    InvalidParameter = BAD_REQUEST, "INVALID_PARAMETER";
    /// A RegistryUI parameter that is required and missing.
    MissingParameter = BAD_REQUEST, "MISSING_PARAMETER";
    /// A site setting with a value it does not take.
    InvalidSetting = BAD_REQUEST, "INVALID_SETTING";
    /// A grant to the namespace's own owner, who is admin of its repositories already.
    InvalidGrantee = BAD_REQUEST, "INVALID_GRANTEE";
    /// An Alauda body whose namespace differs from the URL's.
    NamespaceMismatch = BAD_REQUEST, "NAMESPACE_MISMATCH";
    /// An update that names nothing to change.
    NothingToUpdate = BAD_REQUEST, "NOTHING_TO_UPDATE";
    /// A deletion the web form did not confirm by typing the repository's name.
    NotConfirmed = BAD_REQUEST, "NOT_CONFIRMED";

    // Conflicts with what exists.
    /// An account (or an email address) of that name exists already.
    AccountExists = BAD_REQUEST, "ACCOUNT_EXISTS";
    /// The email address belongs to another account.
    EmailTaken = BAD_REQUEST, "EMAIL_TAKEN";
    /// A repository of that name exists already in the namespace.
    RepositoryExists = BAD_REQUEST, "REPOSITORY_EXISTS";
    /// A team of that name exists already in the organization.
    TeamExists = BAD_REQUEST, "TEAM_EXISTS";
    /// An external repository of that name exists already (Docker Cloud).
    ExternalRepositoryExists = CONFLICT, "EXTERNAL_REPOSITORY_EXISTS";
    /// The account must be a user (not an organization) for this.
    NotAUser = BAD_REQUEST, "NOT_A_USER";
    /// The account must be an organization for this.
    NotAnOrganization = BAD_REQUEST, "NOT_AN_ORGANIZATION";
    /// A per-user grant in a namespace that a user does not own.
    NotUserOwned = BAD_REQUEST, "NOT_USER_OWNED";
    /// A team grant in a namespace that is not an organization's.
    NotOrganizationOwned = BAD_REQUEST, "NOT_ORGANIZATION_OWNED";
    /// The organization's owners team cannot be changed this way.
    OwnersTeam = BAD_REQUEST, "OWNERS_TEAM";
    /// The last active site admin cannot lose admin rights, be deactivated or deleted.
    LastAdmin = BAD_REQUEST, "LAST_ADMIN";
    /// The built-in `library` organization cannot be removed.
    BuiltinAccount = BAD_REQUEST, "BUILTIN_ACCOUNT";

    // The registry (`/v2`): the OCI distribution spec's codes, with the spec's statuses.
    /// A blob this repository does not hold (or one the caller may not see).
    BlobUnknown = NOT_FOUND, "BLOB_UNKNOWN";
    /// A blob upload that cannot go on: a chunk of the wrong length, a session in a bad state.
    BlobUploadInvalid = BAD_REQUEST, "BLOB_UPLOAD_INVALID";
    /// A chunk that does not start where the upload stands (the registry envelope says
    /// `BLOB_UPLOAD_INVALID`; the status is the spec's 416).
    UploadOutOfOrder = RANGE_NOT_SATISFIABLE, "UPLOAD_OUT_OF_ORDER";
    /// No such upload session in this repository (finished, cancelled, or never started).
    BlobUploadUnknown = NOT_FOUND, "BLOB_UPLOAD_UNKNOWN";
    /// A digest that is malformed, or content that does not match its digest (nothing is
    /// stored).
    DigestInvalid = BAD_REQUEST, "DIGEST_INVALID";
    /// A manifest whose config or layers are not blobs of this repository.
    ManifestBlobUnknown = BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN";
    /// A manifest that is not valid JSON of a supported kind, or is a schema 1 manifest.
    ManifestInvalid = BAD_REQUEST, "MANIFEST_INVALID";
    /// No such manifest (or tag) in this repository.
    ManifestUnknown = NOT_FOUND, "MANIFEST_UNKNOWN";
    /// An index whose child manifests are not in this repository (the registry envelope says
    /// `MANIFEST_UNKNOWN`, with the spec's 400).
    IndexChildUnknown = BAD_REQUEST, "INDEX_CHILD_UNKNOWN";
    /// A manifest larger than 4 MiB (the registry envelope says `SIZE_INVALID`).
    ManifestTooLarge = PAYLOAD_TOO_LARGE, "MANIFEST_TOO_LARGE";
    /// A repository name Berth cannot hold: more than `namespace/name`, or outside the rules.
    NameInvalid = BAD_REQUEST, "NAME_INVALID";
    /// No such repository, or one the caller may not read (the same answer).
    NameUnknown = NOT_FOUND, "NAME_UNKNOWN";
    /// A length that does not match the content sent.
    SizeInvalid = BAD_REQUEST, "SIZE_INVALID";
    /// Something the registry does not do (a digest algorithm other than sha256 or sha512).
    Unsupported = BAD_REQUEST, "UNSUPPORTED";
    /// A `Range` no byte of the blob satisfies.
    RangeNotSatisfiable = RANGE_NOT_SATISFIABLE, "RANGE_NOT_SATISFIABLE";
    /// The disk (or the store) is full: nothing was stored, and the next try may work.
    InsufficientStorage = INSUFFICIENT_STORAGE, "INSUFFICIENT_STORAGE";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_unique_upper_snake_case_and_an_error_status() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} is registered twice");
            assert!(
                text.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{text}"
            );
            let status = code.status();
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{text}"
            );
            assert!(!code.describe().is_empty(), "{text}");
        }
    }

    /// `docs/errors.md` is where readers look; it lists exactly the registry.
    #[test]
    fn docs_list_every_code_with_its_status() {
        let doc = include_str!("../../docs/errors.md");
        let rows: Vec<(String, u16)> = doc
            .lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let code = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
                Some((code.to_owned(), cells.get(2)?.parse().ok()?))
            })
            .collect();
        let registry: Vec<(String, u16)> = Code::ALL
            .iter()
            .map(|c| (c.as_str().to_owned(), c.status().as_u16()))
            .collect();
        assert_eq!(rows, registry, "regenerate the table in docs/errors.md");
    }
}
