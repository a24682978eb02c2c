//! What one signal says about the release.

/// One signal's word on the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// Nothing against it.
    Pass,
    /// Not yet: the signal may still come good before the deadline (why).
    Wait(String),
    /// Against it, whatever happens next (why).
    Fail(String),
}

impl Judgement {
    /// A failure: the gate fails at once.
    pub fn is_fail(&self) -> bool {
        matches!(self, Judgement::Fail(_))
    }
}
