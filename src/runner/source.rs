//! Where a run's answers come from: the org (through the [`Client`]), the org while recording them for a snapshot
//! (`kb snapshot`), or a snapshot replayed with no network (`kb check --snapshot`).

use std::sync::Arc;

use super::client::Client;
use crate::checks::Response;
use crate::checks::eval::Error;
use crate::checks::path::Request;
use crate::snapshot::{Replay, Tape};

pub enum Source {
    Org(Client),
    Recording(Client, Tape),
    Snapshot(Replay),
}

impl Source {
    /// The answer to `request` for a check holding `scopes`.
    pub async fn fetch(&self, request: &Request, scopes: &[String]) -> Result<Arc<Response>, Error> {
        match self {
            Source::Org(client) => client.fetch(request, scopes).await,
            Source::Recording(client, tape) => {
                // A refused credential is the scope set's, not the URL's: recorded apart.
                if let Err(e) = client.authorize(scopes).await {
                    tape.refuse(scopes, &e);
                    return Err(e);
                }
                let answer = client.fetch(request, scopes).await;
                tape.answer(request, &answer);
                answer
            }
            Source::Snapshot(replay) => replay.fetch(request, scopes),
        }
    }

    /// The client talking to the org, when there is one.
    pub fn client(&self) -> Option<&Client> {
        match self {
            Source::Org(c) | Source::Recording(c, _) => Some(c),
            Source::Snapshot(_) => None,
        }
    }
}
