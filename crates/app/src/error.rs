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
    #[error("账号因连续{failures}次登录失败已被锁定，请于{until}后再试")]
    AccountLocked { failures: i64, until: String },
    /// Every export builder of this process is busy, or another is still building this one.
    #[error("导出文件正在生成，请稍后再试")]
    ExportBusy,
    #[error("存储错误：{0}")]
    Store(#[from] StoreError),
    #[error("内部错误：{0}")]
    Internal(String),
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
