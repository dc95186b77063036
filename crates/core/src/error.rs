//! The one error type of ferrochat, with stable codes.

/// Result with [`ChatError`].
pub type Result<T, E = ChatError> = std::result::Result<T, E>;

/// Every failure ferrochat reports. `Display` gives the message shown to users (the
/// documented ones verbatim); [`ChatError::code`] the stable machine-readable code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChatError {
    /// An id was empty or missing.
    #[error("ID is required")]
    IdRequired,
    /// Update, soft delete or restore of an id that does not exist.
    #[error("User with this ID does not exist")]
    UserNotFound,
    /// Create of an id that already exists.
    #[error("User with this ID already exists")]
    UserExists,
    /// `User.streamUpdatesOn([])`.
    #[error("Cannot stream user updates on an empty list")]
    EmptyUserList,
    /// Any other invalid input; the message names the field or the position.
    #[error("{0}")]
    InvalidArgument(String),
    /// A conditional write (`If-Match`) found the record changed or gone.
    #[error("User to update has been modified after it was read.")]
    PreconditionFailed,
    /// A conditional update kept meeting newer versions of the user until its deadline
    /// (others were changing it at the same time).
    #[error("User with this ID kept changing while it was being updated; try again")]
    Conflict,
    /// The signed-in user of this `Chat` was deleted.
    #[error("The current user of this Chat was deleted")]
    CurrentUserDeleted,
    /// `Chat.init` for a user that is soft-deleted.
    #[error("User {0} is deleted")]
    UserDeleted(String),
    /// A bulk delete whose filter selects every user, without `allowAll`.
    #[error("Refusing to delete every user: pass allowAll: true to really do it")]
    RefusedAllUsers,
    /// The `Chat` was destroyed.
    #[error("This Chat was destroyed")]
    Destroyed,
    /// The server answered with an HTTP error.
    #[error("HTTP {status}: {message}")]
    Http {
        /// HTTP status code.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The request never got an answer (DNS, connection refused, CORS, ...).
    #[error("Network error: {0}")]
    Network(String),
    /// The request timed out.
    #[error("Request timed out")]
    Timeout,
    /// The server's answer could not be understood.
    #[error("Malformed response: {0}")]
    MalformedResponse(String),
}

impl ChatError {
    /// The stable code exposed to JS as `error.code`.
    pub fn code(&self) -> String {
        let code = match self {
            ChatError::IdRequired => "ID_REQUIRED",
            ChatError::UserNotFound => "USER_NOT_FOUND",
            ChatError::UserExists => "USER_EXISTS",
            ChatError::EmptyUserList => "EMPTY_USER_LIST",
            ChatError::InvalidArgument(_) => "INVALID_ARGUMENT",
            ChatError::PreconditionFailed => "HTTP_412",
            ChatError::Conflict => "CONFLICT",
            ChatError::CurrentUserDeleted => "CURRENT_USER_DELETED",
            ChatError::UserDeleted(_) => "USER_DELETED",
            ChatError::RefusedAllUsers => "REFUSED_ALL_USERS",
            ChatError::Destroyed => "DESTROYED",
            ChatError::Http { status, .. } => return format!("HTTP_{status}"),
            ChatError::Network(_) => "NETWORK",
            ChatError::Timeout => "TIMEOUT",
            ChatError::MalformedResponse(_) => "MALFORMED_RESPONSE",
        };
        code.to_string()
    }

    /// Shorthand for [`ChatError::InvalidArgument`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        ChatError::InvalidArgument(msg.into())
    }

    /// The HTTP status a server should answer this error with.
    pub fn http_status(&self) -> u16 {
        match self {
            ChatError::UserNotFound => 404,
            ChatError::UserExists => 409,
            ChatError::PreconditionFailed => 412,
            ChatError::Conflict => 409,
            ChatError::Http { status, .. } => *status,
            ChatError::Timeout => 504,
            ChatError::Network(_) | ChatError::MalformedResponse(_) => 502,
            _ => 400,
        }
    }
}
