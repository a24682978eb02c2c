//! What reading a template may cost.

/// Caps on what a template may cost to parse. Templates come from outside
/// (a pipeline artifact, a file a user points at), so none of these is optional.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest template accepted, in bytes. CloudFormation itself accepts at
    /// most 1 MiB (a template in S3), so anything larger cannot be deployed.
    pub max_bytes: usize,
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most values (keys included) a template may hold, YAML aliases
    /// counted as if written out: what stops a "billion laughs" document,
    /// and what bounds the memory and every walk of the tree. A 1 MiB
    /// template of ordinary resources holds a fifth of the default.
    pub max_nodes: usize,
}

/// CloudFormation's own limit on a template's size (uploaded through S3).
pub const CLOUDFORMATION_MAX_TEMPLATE_BYTES: usize = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: CLOUDFORMATION_MAX_TEMPLATE_BYTES,
            max_depth: 128,
            max_nodes: 500_000,
        }
    }
}
