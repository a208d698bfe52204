//! What the services fail with. The domain never sees HTTP: `http::error` maps each
//! variant to a public code and a status, in one place.

use crate::ids::RandomUnavailable;
use crate::ports::StoreError;

/// Identifiers drawn at random that can collide with stored ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Session,
    Ticket,
}

/// Why an image was refused before anything was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRejection {
    #[error("the image is empty")]
    Empty,
    #[error("images may be at most {max} bytes")]
    TooLarge { max: usize },
    #[error("only JPEG, PNG, WebP and GIF images are accepted")]
    UnsupportedType,
    #[error("the image file is incomplete or corrupt")]
    Corrupt,
    #[error("the image is {width}×{height}; each side must be between {min} and {max} pixels")]
    Dimensions { width: u32, height: u32, min: u32, max: u32 },
}

/// Why a write to a signed upload URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignedPutRefusal {
    #[error("this upload URL is not one this server signed")]
    NotSigned,
    #[error("the content type differs from the one the URL was signed for")]
    OtherType,
    #[error("the declared length differs from the size the URL was signed for")]
    OtherLength,
    #[error("the body is not the size the URL was signed for")]
    OtherBodySize,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the session does not exist or has expired; start a new one")]
    SessionNotFound,
    /// Erasure found nothing under the session id.
    #[error("nothing is stored for this session")]
    NothingStored,
    #[error("the session is being updated by other requests; please retry")]
    SessionBusy,
    /// The session holds its quota of turns; the visitor goes on in a new one.
    #[error("this conversation has reached its {max_turns} messages; start a new one")]
    ConversationFull { max_turns: u64 },
    /// A rating arrived while no case of the conversation is closed (solved or ticket).
    #[error("there is nothing to rate yet: a case is rated once it is solved or handed to a technician")]
    NothingToRate,
    #[error("this case was already rated")]
    AlreadyRated,
    /// A signed file link this server did not sign.
    #[error("this link is not valid")]
    LinkInvalid,
    #[error("this link has expired; reload the page for a new one")]
    LinkExpired,
    #[error("no such file")]
    FileNotFound,
    #[error("no such upload in this session")]
    UploadNotFound,
    /// Unknown ticket, missing or wrong token: one answer, so links cannot be probed.
    #[error("no such ticket, or the link is incomplete")]
    TicketNotFound,
    #[error("too many requests; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("too many tickets for this session; try again in {retry_after_secs} s")]
    TicketLimit { retry_after_secs: u64 },
    /// The session holds its quota of images; one frees up when the oldest expires.
    #[error("a session may upload at most {max} images; try again in {retry_after_secs} s")]
    UploadLimitReached { max: u32, retry_after_secs: u64 },
    /// A signed upload URL that this server did not issue, or a request that differs from
    /// what it allows (another type or length).
    #[error("{0}")]
    UploadUrlInvalid(SignedPutRefusal),
    #[error("the upload URL has expired; ask for a new one")]
    UploadUrlExpired,
    /// The sender did not say how long the body is before sending it.
    #[error("the body's length must be declared before it is sent (the size the URL was signed for)")]
    LengthRequired,
    #[error("this upload has already been received")]
    UploadAlreadyReceived,
    /// The body would not fit a function invocation; the signed-URL path takes it.
    #[error("bodies over {max} bytes do not fit through this road here: ask for a signed upload URL instead")]
    UseUploadUrl { max: usize },
    #[error(transparent)]
    Image(#[from] ImageRejection),
    #[error("could not allocate a {} id; please retry", match .0 { IdKind::Session => "session", IdKind::Ticket => "ticket" })]
    IdsExhausted(IdKind),
    #[error(transparent)]
    Random(#[from] RandomUnavailable),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
