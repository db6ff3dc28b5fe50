"""Alerts: in-portal notification rows raised by any app, with e-mail and Slack copies sent in digests.

`actions.raise_alert` stores the row and queues the notification on commit; `digest` sends what is
pending (rate-limited per organization); `tasks` are the Celery wrappers.
"""
