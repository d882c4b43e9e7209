"""Alerts that reach a person: a failed night, and (optionally) a good one, through
Airflow's notifier mechanism (`ladder.yml` `alerts:`; docs/alerts.md).

Two channels, each used when it is configured:
- the webhook: a JSON POST to the Airflow connection `ladder_alerts_webhook` (Slack,
  Teams and incident tools accept one), within its retry budget (ladder.retries);
- e-mail over SMTP: the connection `smtp_default`, to `alerts.email_to`, through the
  SMTP provider's SmtpNotifier.

An alert names the DAG, the as-of date, the task and why. It never carries a customer's
data or id: counts only. Ladder's own error messages are written that way (a gate's
failures name checks and counts, and the outlier check leaves the customer to the task
log); any other error is named by its type only, with the task log's address, because
its text may quote a row.
"""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from airflow.providers.common.compat.notifier import BaseNotifier

from ladder import config
from ladder.connections import ALERTS_WEBHOOK, airflow_connection
from ladder.errors import LadderError

log = logging.getLogger(__name__)

# Defence in depth: an e-mail address never leaves in an alert, whatever quoted it.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


@dataclass(frozen=True)
class Alert:
    subject: str
    text: str
    fields: dict[str, Any]

    def payload(self) -> str:
        return json.dumps({"text": f"*{self.subject}*\n{self.text}", "ladder": self.fields})


def failed_task(context: dict[str, Any]) -> Alert:
    """What a task that failed for good (its retries spent) tells a person."""
    from airflow.sdk.exceptions import AirflowFailException

    from ladder.as_of import as_of_date

    ti = context["ti"]
    as_of = as_of_date(context).isoformat()
    error = context.get("exception")
    if isinstance(error, LadderError | AirflowFailException):
        why = str(error)
    elif error is not None:
        why = f"{type(error).__name__} (its message may quote data: see the task log)"
    else:
        why = "no error was passed on: see the task log"
    lines = [
        f"{ti.dag_id} for as-of date {as_of} failed at {ti.task_id}"
        f" (try {ti.try_number}): nothing after it ran, so nothing was published.",
        "",
        EMAIL.sub("<e-mail>", why),
        "",
        f"Task log: {getattr(ti, 'log_url', '') or 'in Airflow'}",
        f"Run reports: {config.project_path(config.section('report')['dir'])}",
        "To resume: fix the cause, then clear the failed task (docs/alerts.md).",
    ]
    return Alert(
        f"Ladder: the night of {as_of} failed at {ti.task_id}",
        "\n".join(lines),
        {
            "dag_id": ti.dag_id,
            "as_of_date": as_of,
            "task_id": ti.task_id,
            "try_number": ti.try_number,
            "state": "failed",
        },
    )


def good_night(context: dict[str, Any]) -> Alert:
    """The summary of a good night: what each destination was sent, and the headline
    figures (counts and totals only)."""
    from ladder.as_of import as_of_date
    from ladder.publish.report import publish_report
    from ladder.transform.headline import headline
    from ladder.warehouse import resolve_warehouse

    ti = context["ti"]
    as_of = as_of_date(context)
    url = resolve_warehouse().url
    text = f"{ti.dag_id} for as-of date {as_of} succeeded.\n\n"
    text += f"{publish_report(url, as_of)}\n\n{headline(url).render()}"
    return Alert(
        f"Ladder: the night of {as_of} succeeded",
        text,
        {"dag_id": ti.dag_id, "as_of_date": as_of.isoformat(), "state": "success"},
    )


def late_night(context: dict[str, Any]) -> Alert:
    """What a night still running at its deadline tells a person. The context is the one
    Airflow gives a Deadline Alert's callback: the run as the REST API shows it."""
    from ladder.as_of import run_as_of

    run = context["dag_run"]
    as_of = run_as_of(
        run.get("run_type"), run.get("logical_date"), run.get("data_interval_end")
    ).isoformat()
    minutes = config.section("alerts")["late_after_minutes"]
    text = (
        f"{run['dag_id']} for as-of date {as_of} is not done {minutes} minutes after it was"
        f" queued (deadline {context.get('deadline', {}).get('deadline_time', 'passed')}). It"
        " goes on; look at its running and waiting tasks in Airflow (docs/scheduler.md)."
    )
    return Alert(
        f"Ladder: the night of {as_of} is late",
        text,
        {"dag_id": run["dag_id"], "as_of_date": as_of, "run_id": run["dag_run_id"],
         "state": "late"},
    )  # fmt: skip


def send(alert: Alert, context: dict[str, Any]) -> None:
    """`alert` to every configured channel. A channel that fails is logged and the others
    still get the alert: an alert must not fail the task it is about, nor hide behind
    another channel's outage."""
    settings = config.section("alerts")
    sent = []
    for name, channel in (("webhook", _webhook), ("e-mail", _email)):
        try:
            if channel(alert, settings, context):
                sent.append(name)
        except Exception as exc:  # one channel down must not stop the other
            log.error("the alert could not go out by %s: %s", name, exc)
    log.info("alert %r sent by: %s", alert.subject, ", ".join(sent) or "no channel")


class LadderNotifier(BaseNotifier):
    """Sends `compose(context)` to every configured channel."""

    def __init__(self, compose) -> None:
        super().__init__()
        self.compose = compose

    def notify(self, context: dict[str, Any]) -> None:
        send(self.compose(context), context)


async def night_is_late(context: dict[str, Any], **kwargs: Any) -> None:
    """The Deadline Alert's callback, which the triggerer runs when a night is not done in
    time; the channels block, so they run in a thread of their own."""
    import asyncio

    await asyncio.to_thread(send, late_night(context), context)


def deadline():
    """The DAG's Deadline Alert, when `alerts.late_after_minutes` sets one: a night not
    done that long after it was queued tells a person, while it still runs."""
    from datetime import timedelta

    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

    minutes = config.section("alerts")["late_after_minutes"]
    if minutes is None:
        return None
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(minutes=minutes),
        callback=AsyncCallback(night_is_late),
    )


def _webhook(alert: Alert, settings: dict, context: dict) -> bool:
    from ladder.retries import BudgetedSession, budget

    info = airflow_connection(ALERTS_WEBHOOK)
    if info is None:
        return False
    # An http connection's URI keeps the URL's path in its schema field.
    url = info.http_base_url() + (f"/{info.schema}" if info.schema else "")
    with BudgetedSession(budget(f"the alerts webhook ({ALERTS_WEBHOOK})", settings)) as session:
        answer = session.post(url, data=alert.payload(),
                              headers={"Content-Type": "application/json"})  # fmt: skip
    if not answer.ok:
        raise LadderError(f"{ALERTS_WEBHOOK} answered HTTP {answer.status_code}")
    return True


def _email(alert: Alert, settings: dict, context: dict) -> bool:
    recipients = settings["email_to"]
    if not recipients:
        return False
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    SmtpNotifier(
        to=recipients,
        from_email=settings["email_from"],
        subject=alert.subject,
        html_content=f"<pre>{html.escape(alert.text)}</pre>",
        smtp_conn_id="smtp_default",
    ).notify(context)
    return True


def on_failure() -> list[LadderNotifier]:
    """The DAG's on_failure_callback: every task's final failure."""
    return [LadderNotifier(failed_task)]


def on_success() -> list[LadderNotifier]:
    """The last task's on_success_callback, when `alerts.on_success` asks for it."""
    return [LadderNotifier(good_night)] if config.section("alerts")["on_success"] else []
