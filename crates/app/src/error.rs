use zijin_domain::FieldErrors;
use zijin_store::StoreError;

/// Why a use case refused or failed. The web layer maps each variant to one HTTP status and
/// one stable error code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("输入有误：{0}")]
    Validation(FieldErrors),
    /// A unique value (credit code, user name) is already taken.
    #[error("重复登记：{0}")]
    Duplicate(FieldErrors),
    #[error("请先登录")]
    Unauthenticated,
    #[error("您没有权限执行此操作")]
    Forbidden,
    #[error("未找到{0}")]
    NotFound(&'static str),
    #[error("用户名或密码错误")]
    LoginFailed,
    /// Too many attempts on this account from this address (or over all accounts or addresses).
    #[error("登录尝试过于频繁，请于{until}后再试")]
    LoginThrottled {
        until: String,
        retry_after_seconds: i64,
    },
    /// An admin switched the account off.
    #[error("该账号已停用，请联系平台管理员")]
    AccountDisabled,
    /// The process is already checking as many passwords as it may.
    #[error("当前登录请求过多，请稍后再试")]
    TooManyRequests,
    /// Another writer held the database too long (a bulk import, say); nothing was written.
    #[error("系统繁忙，请稍后重试")]
    Busy,
    /// Every export builder of this process is busy, or another is still building this one.
    #[error("导出文件正在生成，请稍后再试")]
    ExportBusy,
    /// The thing is not in a state that allows the step (an application waiting at another
    /// review step, a notice not yet ended).
    #[error("{0}")]
    WrongState(String),
    /// A call is not open: not yet, or no longer.
    #[error("{0}")]
    CallClosed(String),
    /// The amount would exceed a call's budget for a measure.
    #[error("{0}")]
    BudgetExceeded(String),
    #[error("存储错误：{0}")]
    Store(StoreError),
    #[error("内部错误：{0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Busy(reason) => {
                tracing::warn!(%reason, "database busy; the request is refused with 503");
                AppError::Busy
            }
            other => AppError::Store(other),
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Validation(errors)
    }
}

impl AppError {
    /// A validation error on one field.
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        AppError::Validation(errors)
    }
}

impl AppError {
    /// A duplicate on one field.
    pub fn duplicate(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        AppError::Duplicate(errors)
    }
}

pub type AppResult<T> = Result<T, AppError>;
