#!/usr/bin/env python3
"""Report a failed turn to Trinity.Messaging's failure intake, the way a chat executor or scheduler in Python does.

Publishes one plain-JSON ReportSubscriptionFailure to the fanout exchange `trinity.failure-intake` with a publisher
confirm and the mandatory flag, so an unroutable or refused publish is an error here and never a silent drop.
The broker's address and credentials come from the environment (never the command line):
TRINITY_RABBITMQ_HOST (127.0.0.1), TRINITY_RABBITMQ_PORT (5672), TRINITY_RABBITMQ_VHOST (/),
TRINITY_RABBITMQ_USER and TRINITY_RABBITMQ_PASSWORD. Needs Debian's python3-pika.

  report_failure.py --agent alice --kind rate-limited --source chat --subscription-id 5ae2… [--retry-after 60]
  report_failure.py --agent alice --kind authentication-failed --source schedule --fingerprint 0123456789ab
"""
import argparse
import datetime
import json
import os
import sys
import uuid

import pika

EXCHANGE = "trinity.failure-intake"


def report(args):
    body = {
        "failureId": str(uuid.uuid4()),
        "agentName": args.agent,
        "subscriptionId": args.subscription_id,
        "tokenFingerprint": args.fingerprint,
        "kind": args.kind,
        "source": args.source,
        "executionId": args.execution,
        "statusCode": args.status,
        # Keep error text short and never include a token: the intake truncates to 500 characters and scrubs too.
        "errorMessage": (args.message or "")[:500] or None,
        "retryAfterSeconds": args.retry_after,
        "occurredAt": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }
    environment = os.environ
    try:
        credentials = pika.PlainCredentials(environment["TRINITY_RABBITMQ_USER"], environment["TRINITY_RABBITMQ_PASSWORD"])
    except KeyError as missing:
        sys.exit(f"report_failure: {missing.args[0]} is not set")
    parameters = pika.ConnectionParameters(
        host=environment.get("TRINITY_RABBITMQ_HOST", "127.0.0.1"),
        port=int(environment.get("TRINITY_RABBITMQ_PORT", "5672")),
        virtual_host=environment.get("TRINITY_RABBITMQ_VHOST", "/"),
        credentials=credentials,
    )
    connection = pika.BlockingConnection(parameters)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(
            exchange=EXCHANGE,
            routing_key="",
            body=json.dumps(body),
            properties=pika.BasicProperties(content_type="application/json", delivery_mode=2, message_id=body["failureId"]),
            mandatory=True,
        )
    finally:
        connection.close()
    return body["failureId"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", required=True)
    parser.add_argument("--kind", required=True, choices=["rate-limited", "authentication-failed", "quota-exhausted"])
    parser.add_argument("--source", required=True, choices=["chat", "schedule"])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--subscription-id", help="the subscription the turn ran on")
    which.add_argument("--fingerprint", help="or the fingerprint of the token the turn started with (12 hex)")
    parser.add_argument("--execution")
    parser.add_argument("--status", type=int)
    parser.add_argument("--message")
    parser.add_argument("--retry-after", type=int)
    args = parser.parse_args()
    try:
        failure_id = report(args)
    except pika.exceptions.UnroutableError:
        sys.exit(f"report_failure: {EXCHANGE} has no queue bound: has the Orchestrator started in this virtual host?")
    except pika.exceptions.AMQPError as error:
        sys.exit(f"report_failure: the broker refused: {error!r}")
    print(f"reported {failure_id}")


if __name__ == "__main__":
    main()
