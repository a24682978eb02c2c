//! Artifacts in memory, for tests of the stages: what a stage wrote and
//! with which KMS key, which jobs' credentials it was used with, and
//! faults on demand (the answers S3 gives that are hard to provoke).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use codepipeline_types::{ArtifactCredentials, S3Location};

use crate::{ArtifactError, ArtifactStore, JobStores};

/// A bucket-and-key store in memory; clones share their contents. As a
/// [`JobStores`] it hands out itself, noting the job's access key id.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    objects: BTreeMap<(String, String), Stored>,
    get_fault: Option<ArtifactError>,
    put_fault: Option<ArtifactError>,
    job_key_ids: Vec<String>,
}

/// An object as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The object's bytes.
    pub zip: Vec<u8>,
    /// The KMS key it was written with, if any.
    pub kms_key_id: Option<String>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // A test that panicked while holding the lock has failed already.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts an object there, as an earlier stage would have.
    pub fn insert(&self, location: &S3Location, zip: impl Into<Vec<u8>>) {
        self.inner().objects.insert(
            key(location),
            Stored {
                zip: zip.into(),
                kms_key_id: None,
            },
        );
    }

    /// The object at `location`, as written.
    pub fn object(&self, location: &S3Location) -> Option<Stored> {
        self.inner().objects.get(&key(location)).cloned()
    }

    /// Where objects are, in order.
    pub fn locations(&self) -> Vec<S3Location> {
        self.inner()
            .objects
            .keys()
            .map(|(bucket, key)| S3Location::new(bucket, key))
            .collect()
    }

    /// Every read from now on fails with `error`.
    pub fn fail_gets(&self, error: ArtifactError) {
        self.inner().get_fault = Some(error);
    }

    /// Every write from now on fails with `error`.
    pub fn fail_puts(&self, error: ArtifactError) {
        self.inner().put_fault = Some(error);
    }

    /// The access key ids of the jobs this store was handed out for.
    pub fn job_key_ids(&self) -> Vec<String> {
        self.inner().job_key_ids.clone()
    }
}

fn key(location: &S3Location) -> (String, String) {
    (location.bucket_name.clone(), location.object_key.clone())
}

impl ArtifactStore for MemoryStore {
    async fn get(&self, location: &S3Location, limit: u64) -> Result<Vec<u8>, ArtifactError> {
        let inner = self.inner();
        if let Some(fault) = &inner.get_fault {
            return Err(fault.clone());
        }
        let stored = inner
            .objects
            .get(&key(location))
            .ok_or_else(|| ArtifactError::NotFound {
                location: location.to_string(),
            })?;
        let size = stored.zip.len() as u64;
        if size > limit {
            return Err(ArtifactError::TooLarge {
                location: location.to_string(),
                size,
                limit,
            });
        }
        Ok(stored.zip.clone())
    }

    async fn put(
        &self,
        location: &S3Location,
        zip: Vec<u8>,
        kms_key_id: Option<&str>,
    ) -> Result<(), ArtifactError> {
        let mut inner = self.inner();
        if let Some(fault) = &inner.put_fault {
            return Err(fault.clone());
        }
        inner.objects.insert(
            key(location),
            Stored {
                zip,
                kms_key_id: kms_key_id.map(str::to_string),
            },
        );
        Ok(())
    }
}

impl JobStores for MemoryStore {
    type Store = MemoryStore;

    fn for_job(&self, credentials: &ArtifactCredentials) -> MemoryStore {
        self.inner()
            .job_key_ids
            .push(credentials.access_key_id.clone());
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn objects_read_back_as_written_with_their_key_and_within_the_limit() {
        let store = MemoryStore::new();
        let at = S3Location::new("b", "k.zip");
        assert_eq!(
            store.get(&at, 10).await.unwrap_err(),
            ArtifactError::NotFound {
                location: "s3://b/k.zip".into()
            }
        );
        store.put(&at, vec![1; 8], Some("key-1")).await.unwrap();
        assert_eq!(store.get(&at, 8).await.unwrap(), vec![1; 8]);
        assert_eq!(
            store.get(&at, 7).await.unwrap_err(),
            ArtifactError::TooLarge {
                location: "s3://b/k.zip".into(),
                size: 8,
                limit: 7
            }
        );
        assert_eq!(
            store.object(&at).unwrap().kms_key_id.as_deref(),
            Some("key-1")
        );
        assert_eq!(store.locations(), [at]);
    }

    #[tokio::test]
    async fn faults_are_returned_from_then_on() {
        let store = MemoryStore::new();
        let at = S3Location::new("b", "k.zip");
        store.insert(&at, vec![1]);
        let denied = ArtifactError::AccessDenied {
            location: at.to_string(),
            message: "Access Denied".into(),
        };
        store.fail_gets(denied.clone());
        assert_eq!(store.get(&at, 10).await.unwrap_err(), denied);
        store.fail_puts(denied.clone());
        assert_eq!(store.put(&at, vec![2], None).await.unwrap_err(), denied);
        assert_eq!(store.object(&at).unwrap().zip, vec![1]);
    }
}
