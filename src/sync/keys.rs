//! Site keys: each site signs what it writes with an ed25519 key made from
//! the operating system's random source. Keys travel as small JSON files
//! (`keys/<site id>.pub` in a shared folder or repository) that an operator
//! trusts explicitly after comparing the fingerprint out of band.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::SyncError;

/// What a changeset signature covers, before the body's SHA-256.
pub const CHANGESET_CONTEXT: &[u8] = b"guardia-cs-v1\0";
/// What a bundle signature covers, before the file's SHA-256.
pub const BUNDLE_CONTEXT: &[u8] = b"guardia-bundle-v1\0";

/// A new secret key, hex-encoded (64 characters).
pub fn new_secret() -> Result<String, SyncError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| SyncError::Key(format!("the system random source failed: {e}")))?;
    Ok(hex::encode(bytes))
}

pub fn signing_key(secret_hex: &str) -> Result<SigningKey, SyncError> {
    let bytes: [u8; 32] = hex::decode(secret_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| SyncError::Key("this site's secret key is damaged".into()))?;
    Ok(SigningKey::from_bytes(&bytes))
}

pub fn public_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().to_bytes())
}

pub fn verifying_key(public_hex: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(public_hex).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// The first 8 bytes of the key's SHA-256, as people compare it.
pub fn fingerprint(public_hex: &str) -> String {
    let digest = Sha256::digest(public_hex.as_bytes());
    let h = hex::encode(&digest[..8]);
    format!("{}-{}-{}-{}", &h[0..4], &h[4..8], &h[8..12], &h[12..16])
}

/// Signs `context || digest` (hex signature).
pub fn sign(key: &SigningKey, context: &[u8], digest: &[u8]) -> String {
    let mut msg = Vec::with_capacity(context.len() + digest.len());
    msg.extend_from_slice(context);
    msg.extend_from_slice(digest);
    hex::encode(key.sign(&msg).to_bytes())
}

pub fn verify(key: &VerifyingKey, context: &[u8], digest: &[u8], sig: &[u8]) -> bool {
    let Ok(sig) = Signature::from_slice(sig) else {
        return false;
    };
    let mut msg = Vec::with_capacity(context.len() + digest.len());
    msg.extend_from_slice(context);
    msg.extend_from_slice(digest);
    key.verify(&msg, &sig).is_ok()
}

/// A site's public key as a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFile {
    pub format: String,
    pub dataset: String,
    pub site: String,
    pub code: String,
    pub key: String,
}

pub const KEY_FILE_FORMAT: &str = "guardia-site-key-1";

impl KeyFile {
    pub fn parse(text: &str, path: &std::path::Path) -> Result<KeyFile, SyncError> {
        let bad = |why: String| SyncError::Refused {
            file: path.display().to_string(),
            reason: why,
        };
        let k: KeyFile =
            serde_json::from_str(text).map_err(|e| bad(format!("not a guardia key file ({e})")))?;
        if k.format != KEY_FILE_FORMAT {
            return Err(bad(format!(
                "key file format '{}' is not {KEY_FILE_FORMAT}",
                k.format
            )));
        }
        if verifying_key(&k.key).is_none() {
            return Err(bad("the key is not an ed25519 public key".into()));
        }
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_message_and_key() {
        let a = signing_key(&new_secret().unwrap()).unwrap();
        let b = signing_key(&new_secret().unwrap()).unwrap();
        let sig = hex::decode(sign(&a, CHANGESET_CONTEXT, b"digest")).unwrap();
        let va = a.verifying_key();
        assert!(verify(&va, CHANGESET_CONTEXT, b"digest", &sig));
        assert!(!verify(&va, CHANGESET_CONTEXT, b"digesT", &sig));
        assert!(!verify(&va, BUNDLE_CONTEXT, b"digest", &sig));
        assert!(!verify(
            &b.verifying_key(),
            CHANGESET_CONTEXT,
            b"digest",
            &sig
        ));
        assert_eq!(fingerprint(&public_hex(&a)).len(), 19);
    }
}
