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
    }
}
