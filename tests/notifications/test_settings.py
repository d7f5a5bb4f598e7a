"""The adapter's settings: what each adapter needs is required when it is chosen; secrets
may be left out only in development (a generated one under var_dir then)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ksp.core.settings import Environment, Settings
from ksp.notifications.adapters import (
    FileAdapter,
    SmtpAdapter,
    WebhookAdapter,
    adapter_from_settings,
)


def make(tmp_path, env=Environment.TEST, **over):
    return Settings(env=env, var_dir=tmp_path / "var", **over)


def test_file_is_the_default_and_needs_nothing(tmp_path):
    adapter = adapter_from_settings(make(tmp_path))
    assert isinstance(adapter, FileAdapter)
    assert adapter.path == tmp_path / "var" / "notifications.log"


def test_webhook_needs_a_url_and_outside_development_a_secret(tmp_path):
    with pytest.raises(ValidationError, match="KSP_NOTIFY_WEBHOOK_URL"):
        make(tmp_path, notify_adapter="webhook", notify_webhook_secret="s")
    with pytest.raises(ValidationError, match="KSP_NOTIFY_WEBHOOK_SECRET"):
        make(tmp_path, notify_adapter="webhook", notify_webhook_url="https://gw.example/kirim")
    with pytest.raises(ValidationError, match="KSP_NOTIFY_WEBHOOK_SECRET"):
        make(tmp_path, notify_adapter="webhook", notify_webhook_url="https://gw.example/kirim",
             notify_webhook_secret="")
    with pytest.raises(ValidationError, match="KSP_NOTIFY_WEBHOOK_URL must be like"):
        make(tmp_path, notify_adapter="webhook", notify_webhook_url="ftp://gw.example",
             notify_webhook_secret="s")

    given = adapter_from_settings(make(tmp_path, notify_adapter="webhook",
                                       notify_webhook_url="https://gw.example/kirim",
                                       notify_webhook_secret="kunci"))
    development = make(tmp_path, env=Environment.DEVELOPMENT, notify_adapter="webhook",
                       notify_webhook_url="https://gw.example/kirim")

    assert isinstance(given, WebhookAdapter) and given.secret == b"kunci"
    generated = adapter_from_settings(development)
    assert isinstance(generated, WebhookAdapter) and len(generated.secret) >= 32
    assert adapter_from_settings(development).secret == generated.secret  # kept in var_dir


def test_smtp_needs_host_and_sender_and_a_password_for_a_login(tmp_path):
    with pytest.raises(ValidationError, match="KSP_NOTIFY_SMTP_HOST, KSP_NOTIFY_SMTP_FROM"):
        make(tmp_path, notify_adapter="smtp")
    with pytest.raises(ValidationError, match="KSP_NOTIFY_SMTP_PASSWORD"):
        make(tmp_path, notify_adapter="smtp", notify_smtp_host="mail.example",
             notify_smtp_from="ksp@ksp.example", notify_smtp_user="ksp")
    with pytest.raises(ValidationError, match="must contain"):
        make(tmp_path, notify_smtp_to="sms@gateway.example")

    adapter = adapter_from_settings(make(
        tmp_path, notify_adapter="smtp", notify_smtp_host="mail.example",
        notify_smtp_from="ksp@ksp.example", notify_smtp_to="{phone}@sms.example"))

    assert isinstance(adapter, SmtpAdapter)
    assert adapter.address_for("081234567801") == "081234567801@sms.example"
    assert adapter.address_for("bendahara@ksp.example") == "bendahara@ksp.example"


def test_a_webhook_in_production_without_a_secret_refuses_to_start(tmp_path):
    with pytest.raises(ValidationError, match="KSP_NOTIFY_WEBHOOK_SECRET"):
        make(tmp_path, env=Environment.PRODUCTION, notify_adapter="webhook",
             notify_webhook_url="https://gw.example/kirim")


def test_a_production_webhook_must_be_https_unless_on_this_machine(tmp_path):
    secrets = {"pii_key": "a" * 44, "secret_key": "s", "rpc_url": "https://rpc.example",
               "operator_keystore": tmp_path / "k.json", "public_url": "https://ksp.example"}
    with pytest.raises(ValidationError, match="must be https in production"):
        make(tmp_path, env=Environment.PRODUCTION, notify_adapter="webhook",
             notify_webhook_url="http://gw.example/kirim", notify_webhook_secret="k",
             **secrets)

    local = make(tmp_path, env=Environment.PRODUCTION, notify_adapter="webhook",
                 notify_webhook_url="http://127.0.0.1:9000/kirim", notify_webhook_secret="k",
                 **secrets)
    remote = make(tmp_path, env=Environment.PRODUCTION, notify_adapter="webhook",
                  notify_webhook_url="https://gw.example/kirim", notify_webhook_secret="k",
                  **secrets)

    assert local.notify_webhook_url and remote.notify_webhook_url
