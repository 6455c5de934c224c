//! Receiving one webhook delivery ([`SyncService::receive_webhook`], whose documentation holds
//! the decision table) and its [`WebhookReceipt`].

use std::sync::Arc;

use jirasync_domain::StoreError;
use jirasync_domain::inbox::{
    DeliveryHeader, DeliveryId, DeliverySource, Enqueued, Inbox, NewDelivery,
};
use jirasync_domain::rules::inbound::ChangeSetOutcome;

use crate::delivery::{self, DeliveryError, OpenedDelivery};
use crate::metrics::{ProcessingPath, WebhookOutcome};
use crate::service::SyncService;
use crate::worker;

/// The request headers stored with an inbox delivery, besides Jira's own `x-atlassian-*` ones.
const KEPT_HEADERS: [&str; 3] = ["content-type", "user-agent", "content-length"];

/// The prefix of Jira's own request headers (`x-atlassian-webhook-identifier`, …), all kept.
const JIRA_HEADER_PREFIX: &str = "x-atlassian-";

/// What the service did with a delivery; the HTTP layer answers from it (see
/// [`SyncService::receive_webhook`] for the table).
// One receipt per delivery, answered from once: boxing the applied outcome would cost an
// allocation and buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookReceipt {
    /// Nothing to sync (no changelog, or one touching neither assignee nor status, and no
    /// comment added); nothing was stored. Answer 200.
    Ignored,
    /// Stored in the inbox under this id; a worker applies it. Answer 202. In inline mode, a
    /// delivery that needed an unreachable Jira (or an installation without usable
    /// credentials) is kept this way too.
    Accepted(DeliveryId),
    /// Applied at once (inline mode), halts included. Answer 200.
    Applied(ChangeSetOutcome),
    /// Refused or failed; [`DeliveryError::is_retryable`] tells a refusal of the input from an
    /// outage. Nothing was stored.
    Refused(DeliveryError),
}

impl WebhookReceipt {
    /// The `outcome` label of `jirasync_webhooks_received_total` for this receipt.
    pub fn outcome(&self) -> WebhookOutcome {
        match self {
            Self::Ignored => WebhookOutcome::Ignored,
            Self::Accepted(_) => WebhookOutcome::Accepted,
            Self::Applied(_) => WebhookOutcome::Applied,
            Self::Refused(error) => error.outcome(),
        }
    }
}

impl SyncService {
    /// Receives one webhook delivery: verifies the URL `token` (a secret: it is never logged),
    /// reads `body`, then in [`WebhookMode::Inline`](crate::WebhookMode::Inline) applies the
    /// changes, in [`WebhookMode::Inbox`](crate::WebhookMode::Inbox) stores them with the
    /// integration, the ordering key (integration and issue), the event time, the delivery key
    /// and the `headers` worth keeping for diagnosis (`content-type`, `user-agent`,
    /// `content-length` and Jira's `x-atlassian-*`; never credentials or cookies). Logs and
    /// counts the outcome.
    ///
    /// `headers` are the request's headers that are text, as `(name, value)`; names are matched
    /// ignoring case.
    ///
    /// The decision table of reference §3.3, with jirasync's answers where the reference fails
    /// (a 400 with the reason instead of a 500), and the HTTP answer an adapter gives:
    ///
    /// | # | condition | receipt | HTTP answer | outcome label |
    /// |---|---|---|---|---|
    /// | 1 | body over the limit (decided by the HTTP layer) | — | 413 | `too_large` |
    /// | 2 | token refused, or no `jira_server` integration has its `id` | `Refused` | 400, the reference's message | `invalid_token` |
    /// | 3 | body not JSON, or not a usable payload | `Refused` | 400, the parser's message | `bad_payload` |
    /// | 4 | no changelog, or one touching neither assignee nor status, and no comment added | `Ignored` | 200, nothing stored | `ignored` |
    /// | 5 | inbox mode: stored in the inbox | `Accepted` | 202 | `accepted` |
    /// | 6 | inline mode: applied (halts included) | `Applied` | 200 | `applied` |
    /// | 6b | inline mode: applying needed Jira, which is unreachable, or the installation has no usable credentials; kept in the inbox for the workers (retried, or parked for an operator) | `Accepted` | 202 | `accepted` |
    /// | 7 | the store (or, inline, the host; or Jira without an inbox to keep the delivery in) is unavailable | `Refused` | 503 | `unavailable` |
    /// | 8 | inline: the sync cannot succeed; any mode: the store failed otherwise | `Refused` | 400 / 500 | `failed` |
    ///
    /// The token is verified **once**, here: an inbox row records the integration it named
    /// ([`DeliverySource::Integration`]), and the worker trusts it, so a secret rotated out
    /// between receipt and processing does not fail a genuine delivery.
    pub async fn receive_webhook(
        &self,
        token: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> WebhookReceipt {
        let receipt = match self.decide(token, body, headers).await {
            Ok(receipt) => receipt,
            Err(error) => self.log_refusal(error),
        };
        self.metrics().webhook_received(receipt.outcome());
        receipt
    }

    /// Records a delivery the HTTP layer refused before it could hand it over (a URL token that
    /// is not text, for example): logs and counts it as [`receive_webhook`](Self::receive_webhook)
    /// does a refusal, and gives its receipt.
    pub fn refuse_webhook(&self, error: DeliveryError) -> WebhookReceipt {
        let receipt = self.log_refusal(error);
        self.metrics().webhook_received(receipt.outcome());
        receipt
    }

    /// The receipt of a delivery that got past the token and the body; an error is a refusal
    /// still to be logged.
    async fn decide(
        &self,
        token: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Result<WebhookReceipt, DeliveryError> {
        let opened = delivery::open(self, token, body).await?;
        let Some(changes) = &opened.changes else {
            tracing::info!(integration_id = %opened.integration.id, "missing-changelog");
            return Ok(WebhookReceipt::Ignored);
        };
        match self.receiving_inbox() {
            None => {
                let applied = delivery::apply(
                    self,
                    &opened.integration,
                    changes,
                    ProcessingPath::Inline,
                    None,
                )
                .await;
                match applied {
                    Ok(outcome) => Ok(WebhookReceipt::Applied(outcome)),
                    Err(error) if error.is_jira_unavailable() => {
                        self.defer(&opened, body, headers, error).await
                    }
                    Err(error) => Err(error),
                }
            }
            Some(inbox) => {
                // A free worker slot: the delivery is stored claimed, if it can be, and applied
                // from what is in hand.
                let slot = self
                    .worker_options()
                    .apply_at_receipt
                    .then(|| Arc::clone(self.worker_slots()).try_acquire_owned().ok())
                    .flatten();
                let stored_pending = self.stored_pending_count();
                match self
                    .enqueue(inbox, &opened, body, headers, slot.is_some())
                    .await
                {
                    Ok(Enqueued { id, lease }) => {
                        if let (Some(lease), Some(slot)) = (lease, slot) {
                            let received = worker::Received {
                                id,
                                lease,
                                opened,
                                stored_pending,
                            };
                            worker::apply_received(self, Arc::clone(inbox), received, slot);
                        }
                        Ok(WebhookReceipt::Accepted(id))
                    }
                    Err(error) => Ok(WebhookReceipt::Refused(error.into())),
                }
            }
        }
    }

    /// Stores an opened delivery in `inbox`, claimed at once when `leased` asks for it and a
    /// claim could hand it out ([`Inbox::enqueue_leased`]); a delivery left pending wakes an
    /// idle worker.
    async fn enqueue(
        &self,
        inbox: &Arc<dyn Inbox>,
        opened: &OpenedDelivery,
        body: &[u8],
        headers: &[(&str, &str)],
        leased: bool,
    ) -> Result<Enqueued, StoreError> {
        let delivery = self.new_delivery(opened, body, headers);
        let stored = if leased {
            let lease = self.worker_options().lease;
            inbox.enqueue_leased(delivery, self.now(), lease).await
        } else {
            inbox
                .enqueue(delivery)
                .await
                .map(|id| Enqueued { id, lease: None })
        };
        match stored {
            Ok(stored) => {
                tracing::debug!(
                    integration_id = %opened.integration.id,
                    delivery_id = %stored.id,
                    leased = stored.lease.is_some(),
                    "delivery-enqueued"
                );
                if stored.lease.is_none() {
                    self.stored_pending();
                }
                Ok(stored)
            }
            Err(error) => {
                // Logged here under its own name, not as a refusal of the delivery.
                tracing::warn!(integration_id = %opened.integration.id, %error, "enqueue-failed");
                Err(error)
            }
        }
    }

    /// Inline mode, when applying needed Jira and Jira could not be reached or the installation
    /// cannot call it: the failure is not the sender's, and Jira ≤ 9 never sends a delivery
    /// again, so it is kept in the inbox (when the service has one) and accepted. The workers
    /// retry it when Jira was unreachable, and park it (dead, with the reason) when an operator
    /// must fix the installation first; `jirasync inbox replay` applies it after that. Without
    /// an inbox, or when storing fails, the delivery is refused with `error` (503).
    async fn defer(
        &self,
        opened: &OpenedDelivery,
        body: &[u8],
        headers: &[(&str, &str)],
        error: DeliveryError,
    ) -> Result<WebhookReceipt, DeliveryError> {
        let Some(inbox) = self.inbox() else {
            return Err(error);
        };
        let Ok(Enqueued { id, .. }) = self.enqueue(inbox, opened, body, headers, false).await
        else {
            return Err(error);
        };
        let reason = if error.needs_operator() {
            "configuration"
        } else {
            "jira_unreachable"
        };
        tracing::warn!(
            integration_id = %opened.integration.id,
            delivery_id = %id,
            reason,
            %error,
            "delivery-deferred"
        );
        self.metrics().delivery_deferred(error.needs_operator());
        Ok(WebhookReceipt::Accepted(id))
    }

    /// The inbox row of an opened delivery.
    fn new_delivery(
        &self,
        opened: &OpenedDelivery,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> NewDelivery {
        NewDelivery {
            source: DeliverySource::Integration(opened.integration.id),
            body: body.to_vec(),
            headers: kept_headers(headers.iter().copied()),
            received_at: self.now(),
            ordering_key: opened.ordering_key(),
            occurred_at: opened.occurred_at(),
            delivery_key: opened
                .changes
                .as_ref()
                .and_then(|changes| changes.delivery_key.clone()),
        }
    }

    /// Logs a refusal (and counts a refused token), and gives its receipt.
    fn log_refusal(&self, error: DeliveryError) -> WebhookReceipt {
        match error.outcome() {
            WebhookOutcome::InvalidToken => {
                // reference §3.8: `token-validation-error` and `jira_server.webhook.invalid_token`;
                // the token itself is left out.
                tracing::warn!(%error, "token-validation-error");
                self.metrics().invalid_token();
            }
            WebhookOutcome::BadPayload => tracing::info!(%error, "bad-payload"),
            // Sync failures were logged as `sync-failed` where they happened.
            _ if matches!(error, DeliveryError::Sync(_)) => {}
            _ => tracing::warn!(%error, "webhook-failed"),
        }
        WebhookReceipt::Refused(error)
    }
}

/// The headers worth keeping with an inbox delivery, for processing and diagnosis:
/// `content-type`, `user-agent`, `content-length` and Jira's `x-atlassian-*` ones (names
/// matched ignoring case, kept lower-case). Credentials and cookies are left out.
fn kept_headers<'h>(headers: impl IntoIterator<Item = (&'h str, &'h str)>) -> Vec<DeliveryHeader> {
    headers
        .into_iter()
        .filter(|(name, _)| {
            KEPT_HEADERS
                .iter()
                .any(|kept| name.eq_ignore_ascii_case(kept))
                || name
                    .get(..JIRA_HEADER_PREFIX.len())
                    .is_some_and(|prefix| prefix.eq_ignore_ascii_case(JIRA_HEADER_PREFIX))
        })
        .map(|(name, value)| DeliveryHeader {
            name: name.to_ascii_lowercase(),
            value: value.to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_content_headers_and_jiras_own() {
        let headers = [
            ("content-type", "application/json"),
            ("x-atlassian-webhook-identifier", "42"),
            ("authorization", "Bearer nope"),
            ("cookie", "session=nope"),
        ];
        let names: Vec<String> = kept_headers(headers)
            .into_iter()
            .map(|header| header.name)
            .collect();
        assert_eq!(names, ["content-type", "x-atlassian-webhook-identifier"]);
    }
}
