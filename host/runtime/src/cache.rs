//! Compiled components, cached so a plugin is compiled once: in memory (least recently
//! used evicted), and optionally on disk so a restart does not recompile every tenant's
//! plugins.
//!
//! Keyed by the sha256 of the plugin's bytes and the engine's compatibility hash
//! ([`Engine::precompile_compatibility_hash`]: wasmtime version, target, every setting that
//! changes code generation), so a new wasmtime or a changed sandbox setting simply misses
//! and recompiles instead of loading incompatible code.
//!
//! Loading a serialized artifact is `unsafe` in wasmtime: the bytes are trusted to be
//! machine code wasmtime produced. The disk cache is ours (written only by this module), and
//! each file carries the sha256 of its artifact, checked before deserializing, so a
//! truncated or corrupted file is recompiled rather than executed. Anyone able to write in
//! the cache directory could run native code in the server: keep it private to the service.
//!
//! Two loads of the same new plugin at the same moment both compile; the second insert
//! wins. Uploads are rare enough that this is cheaper than a lock per key.

use std::collections::HashMap;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::error::{Error, Result};
use crate::sandbox::Stats;

/// A plugin's identity: the sha256 of its bytes.
pub type Sha256Digest = [u8; 32];

/// sha256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Sha256Digest {
    Sha256::digest(bytes).into()
}

/// Feeds [`Engine::precompile_compatibility_hash`] into sha256, so the key is stable across
/// processes (std's `DefaultHasher` promises no such thing).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        unreachable!("only the full digest is read")
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

fn engine_hash(engine: &Engine) -> String {
    let mut hasher = ShaHasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let digest: Sha256Digest = hasher.0.finalize().into();
    hex::encode(&digest[..8])
}

/// How a component was obtained, for the stats.
enum Source {
    Memory,
    Disk,
    Compiled,
}

/// A small least-recently-used map: O(n) eviction, fine for the few dozen plugins a
/// process runs.
pub(crate) struct Lru<K, V> {
    entries: HashMap<K, (V, u64)>,
    clock: u64,
    capacity: usize,
}

impl<K: Eq + std::hash::Hash + Clone, V: Clone> Lru<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Lru {
            entries: HashMap::new(),
            clock: 0,
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn get(&mut self, key: &K) -> Option<V> {
        self.clock += 1;
        let now = self.clock;
        let (value, last_used) = self.entries.get_mut(key)?;
        *last_used = now;
        Some(value.clone())
    }

    pub(crate) fn insert(&mut self, key: K, value: V) {
        self.clock += 1;
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (value, self.clock));
    }
}

pub(crate) struct CompileCache {
    engine_hash: String,
    dir: Option<PathBuf>,
    memory: Mutex<Lru<Sha256Digest, Component>>,
}

impl CompileCache {
    pub(crate) fn new(engine: &Engine, dir: Option<PathBuf>, capacity: usize) -> Result<Self> {
        if let Some(dir) = &dir {
            fs::create_dir_all(dir).map_err(|e| {
                Error::runtime(format!("cannot create cache dir {}: {e}", dir.display()))
            })?;
        }
        Ok(CompileCache {
            engine_hash: engine_hash(engine),
            dir,
            memory: Mutex::new(Lru::new(capacity)),
        })
    }

    /// The compiled component for `bytes` (whose sha256 is `sha`), compiling it on a miss.
    pub(crate) fn get_or_compile(
        &self,
        engine: &Engine,
        sha: &Sha256Digest,
        bytes: &[u8],
        stats: &Stats,
    ) -> Result<Component> {
        let (component, source) = self.lookup(engine, sha, bytes)?;
        stats.bump(|s| match source {
            Source::Memory => s.memory_hits += 1,
            Source::Disk => s.disk_hits += 1,
            Source::Compiled => s.compiled += 1,
        });
        Ok(component)
    }

    fn lookup(
        &self,
        engine: &Engine,
        sha: &Sha256Digest,
        bytes: &[u8],
    ) -> Result<(Component, Source)> {
        if let Some(component) = self.in_memory(sha) {
            return Ok((component, Source::Memory));
        }
        if let Some(component) = self.on_disk(engine, sha) {
            self.insert(sha, component.clone());
            return Ok((component, Source::Disk));
        }
        let component = Component::new(engine, bytes)
            .map_err(|e| Error::invalid(format!("does not compile: {e:#}")))?;
        self.write_to_disk(sha, &component);
        self.insert(sha, component.clone());
        Ok((component, Source::Compiled))
    }

    fn in_memory(&self, sha: &Sha256Digest) -> Option<Component> {
        self.memory.lock().ok()?.get(sha)
    }

    fn insert(&self, sha: &Sha256Digest, component: Component) {
        if let Ok(mut memory) = self.memory.lock() {
            memory.insert(*sha, component);
        }
    }

    fn path(&self, dir: &Path, sha: &Sha256Digest) -> PathBuf {
        dir.join(format!("{}-{}.cwasm", hex::encode(sha), self.engine_hash))
    }

    /// A cached artifact from disk, or `None` (absent, corrupt, incompatible: recompile).
    fn on_disk(&self, engine: &Engine, sha: &Sha256Digest) -> Option<Component> {
        let path = self.path(self.dir.as_deref()?, sha);
        let file = fs::read(&path).ok()?;
        if file.len() < 32 || sha256(&file[32..]) != file[..32] {
            tracing::warn!(path = %path.display(), "corrupt compiled plugin in cache, recompiling");
            return None;
        }
        let artifact = &file[32..];
        // SAFETY: the artifact was written by `write_to_disk` from `Component::serialize` with an
        // engine of the same compatibility hash (it is in the file name), and its checksum
        // just matched, so these are bytes wasmtime produced, unaltered. wasmtime also checks
        // the header and engine compatibility itself before using them.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(engine, artifact) };
        match component {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "unusable compiled plugin in cache, recompiling");
                None
            }
        }
    }

    /// Best effort: a failure to write the cache costs a recompile later, nothing else.
    fn write_to_disk(&self, sha: &Sha256Digest, component: &Component) {
        let Some(dir) = self.dir.as_deref() else {
            return;
        };
        let path = self.path(dir, sha);
        let result = component
            .serialize()
            .map_err(|e| e.to_string())
            .and_then(|artifact| {
                // Written to a temporary file and renamed, so a reader never sees half a file.
                let mut tmp = tempfile_in(dir).map_err(|e| e.to_string())?;
                tmp.1
                    .write_all(&sha256(&artifact))
                    .map_err(|e| e.to_string())?;
                tmp.1.write_all(&artifact).map_err(|e| e.to_string())?;
                tmp.1.sync_all().map_err(|e| e.to_string())?;
                fs::rename(&tmp.0, &path).map_err(|e| e.to_string())
            });
        if let Err(e) = result {
            tracing::warn!(path = %path.display(), error = %e, "cannot write compiled plugin to cache");
        }
    }
}

/// A new, uniquely named file in `dir`.
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!(".tmp-{}-{n}", std::process::id()));
    let file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((path, file))
}
