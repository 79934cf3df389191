//! Commit signing for `signCommit` (publish:gitlab, publish:gitea): the OpenPGP secret key
//! Backstage reads (the host integration's `commitSigningKey`, else
//! `scaffolder.defaultCommitSigningKey`), parsed and used with the `pgp` crate to make the
//! detached, armored signature git stores in a commit's `gpgsig` header — what Backstage's
//! isomorphic-git `onSign` plugin makes (a binary SHA-256 signature by the primary key).

use pgp::composed::{ArmorOptions, Deserializable, DetachedSignature, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::types::Password;

use super::ScmError;
use crate::config::Secret;

/// An unlocked signing key.
pub struct CommitSigner {
    key: SignedSecretKey,
}

impl std::fmt::Debug for CommitSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CommitSigner(***)")
    }
}

/// The key `signCommit` signs with for an integration whose own `commitSigningKey` is
/// `integration_key`: that key, else `scaffolder.defaultCommitSigningKey`; Backstage's error
/// when there is none.
pub fn signer(
    integration_key: Option<&Secret>,
    default_key: Option<&Secret>,
    host: &str,
) -> Result<CommitSigner, ScmError> {
    let Some(key) = integration_key
        .or(default_key)
        .filter(|k| !k.0.trim().is_empty())
    else {
        return Err(ScmError::new(
            "Signing commits is enabled but no signing key is provided in the configuration",
        )
        .with_hint(format!("set `commitSigningKey` of `{host}` under its integration, or `scaffolder.defaultCommitSigningKey`, to an armored OpenPGP secret key without a passphrase (`gpg --armor --export-secret-keys KEYID`)")));
    };
    CommitSigner::parse(&key.0)
}

impl CommitSigner {
    /// Parses an armored OpenPGP secret key (`-----BEGIN PGP PRIVATE KEY BLOCK-----`); it must
    /// not be locked by a passphrase (Backstage's signer reads it as it is).
    pub fn parse(armored: &str) -> Result<CommitSigner, ScmError> {
        let hint = "the commit signing key must be an armored OpenPGP secret key without a passphrase (`gpg --armor --export-secret-keys KEYID`)";
        let (key, _) = SignedSecretKey::from_string(armored.trim()).map_err(|e| {
            ScmError::new(format!("the commit signing key cannot be read: {e}")).with_hint(hint)
        })?;
        let signer = CommitSigner { key };
        // A trial signature: a locked or unusable key fails here, before anything is created.
        signer
            .sign("golden")
            .map_err(|e| ScmError::new(e).with_hint(hint))?;
        Ok(signer)
    }

    /// The armored detached signature of `payload` (a commit's text).
    pub fn sign(&self, payload: &str) -> Result<String, String> {
        let sig = DetachedSignature::sign_binary_data(
            crypto_box::aead::OsRng,
            &self.key.primary_key,
            &Password::empty(),
            HashAlgorithm::Sha256,
            payload.as_bytes(),
        )
        .map_err(|e| format!("cannot sign the commit with the commit signing key: {e}"))?;
        sig.to_armored_string(ArmorOptions::default())
            .map_err(|e| format!("cannot write the commit's signature: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../../tests/it/fixtures/signing/secret.asc");
    const PUBLIC: &str = include_str!("../../tests/it/fixtures/signing/public.asc");

    #[test]
    fn signatures_verify_with_the_public_key() {
        let s = CommitSigner::parse(KEY).unwrap();
        let armored = s.sign("tree 123\n\nmessage\n").unwrap();
        assert!(
            armored.starts_with("-----BEGIN PGP SIGNATURE-----"),
            "{armored}"
        );
        let (sig, _) = DetachedSignature::from_string(&armored).unwrap();
        let (public, _) = pgp::composed::SignedPublicKey::from_string(PUBLIC).unwrap();
        sig.verify(&public.primary_key, b"tree 123\n\nmessage\n")
            .unwrap();
        assert!(sig.verify(&public.primary_key, b"tree 124\n").is_err());
    }

    #[test]
    fn the_key_comes_from_the_integration_then_the_default() {
        let key = Secret(KEY.into());
        assert!(signer(Some(&key), None, "gitlab.com").is_ok());
        assert!(signer(None, Some(&key), "gitlab.com").is_ok());
        let none = signer(None, None, "gitlab.com").unwrap_err();
        assert_eq!(
            none.message,
            "Signing commits is enabled but no signing key is provided in the configuration"
        );
        let bad = signer(Some(&Secret("not a key".into())), Some(&key), "gitlab.com");
        assert!(bad
            .unwrap_err()
            .message
            .starts_with("the commit signing key cannot be read"));
        assert_eq!(
            format!("{:?}", CommitSigner::parse(KEY).unwrap()),
            "CommitSigner(***)"
        );
    }
}
