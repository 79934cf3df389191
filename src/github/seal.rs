//! GitHub Actions secrets are sent encrypted with the repository's public key as a libsodium
//! sealed box (`crypto_box_seal`), as Backstage does with libsodium-wrappers.

use base64::Engine as _;
use crypto_box::aead::OsRng;

/// Seals `value` for the base64 `public_key` GitHub returned; the result is base64.
pub fn seal(public_key: &str, value: &str) -> Result<String, String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let bytes = b64
        .decode(public_key.trim())
        .map_err(|e| format!("the repository public key is not base64: {e}"))?;
    let key: [u8; crypto_box::KEY_SIZE] = bytes
        .try_into()
        .map_err(|_| "the repository public key is not 32 bytes".to_string())?;
    let sealed = crypto_box::PublicKey::from(key)
        .seal(&mut OsRng, value.as_bytes())
        .map_err(|_| "cannot encrypt the secret".to_string())?;
    Ok(b64.encode(sealed))
}

/// Each of `secrets` sealed with the public key GitHub answered for a repository or an
/// environment (`key`: `{"key_id", "key"}`), in order; a value that is not a string is sealed as
/// its JSON text. A failure names the secret.
pub fn seal_each<'a>(
    key: &serde_json::Value,
    secrets: &'a serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<(&'a str, String)>, (&'a str, String)> {
    let public_key = key["key"].as_str().unwrap_or_default();
    secrets
        .iter()
        .map(|(name, value)| {
            let plain = value
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| value.to_string());
            seal(public_key, &plain)
                .map(|sealed| (name.as_str(), sealed))
                .map_err(|e| (name.as_str(), e))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    #[test]
    fn sealed_secrets_open_with_the_repository_key() {
        let sk = crypto_box::SecretKey::generate(&mut crypto_box::aead::OsRng);
        let pk = base64::engine::general_purpose::STANDARD.encode(sk.public_key().as_bytes());
        let sealed = super::seal(&pk, "hunter2").unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .unwrap();
        assert_eq!(sk.unseal(&raw).unwrap(), b"hunter2");
        assert!(super::seal("not base64!", "x").is_err());
        let secrets = serde_json::json!({"A": "hunter2", "N": 7});
        let key = serde_json::json!({"key_id": "k1", "key": pk});
        let sealed = super::seal_each(&key, secrets.as_object().unwrap()).unwrap();
        let open = |v: &str| {
            sk.unseal(&base64::engine::general_purpose::STANDARD.decode(v).unwrap())
                .unwrap()
        };
        assert_eq!(sealed[0].0, "A");
        assert_eq!(open(&sealed[0].1), b"hunter2");
        assert_eq!(open(&sealed[1].1), b"7");
        let bad = serde_json::json!({"key": "nope"});
        assert_eq!(
            super::seal_each(&bad, secrets.as_object().unwrap())
                .unwrap_err()
                .0,
            "A"
        );
    }
}
