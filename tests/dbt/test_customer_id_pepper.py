"""customer_id is a keyed hash (HMAC-SHA256 under a secret pepper) of shop and Etsy buyer:
without the pepper, Etsy's sequential buyer ids cannot be enumerated back from it."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
from pathlib import Path

# The documented public pepper of local DuckDB runs (macros/cross_db/hmac.sql, composer/README.md).
LOCAL_PEPPER = b"local-only-customer-id-pepper"


def test_customer_id_is_the_hmac_of_shop_and_buyer_under_the_local_pepper(dbt_project):
    orders = dbt_project.query(
        """
        select orders.customer_id, receipts.shop_id, receipts.buyer_user_id, receipts.receipt_id
        from intermediate.int_sales__orders as orders
        inner join staging.stg_etsy__receipts as receipts using (receipt_id)
        """
    )
    assert orders, "no orders built: the default history should have some"
    for customer_id, shop_id, buyer_user_id, receipt_id in orders:
        message = f"{shop_id}-{buyer_user_id if buyer_user_id is not None else f'guest-receipt-{receipt_id}'}"
        expected = hmac.new(LOCAL_PEPPER, message.encode(), hashlib.sha256).hexdigest()
        assert customer_id == expected, f"receipt {receipt_id}: customer_id is not HMAC-SHA256({message!r})"
        assert customer_id != hashlib.md5(message.encode()).hexdigest()


def test_bigquery_refuses_to_compile_customer_id_without_a_pepper(tmp_path):
    """On BigQuery (production) a missing pepper stops the build with the fix, never a public key."""
    completed = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("bigquery_offline_compile.py")),
            str(tmp_path),
            "--without-pepper",
            "int_sales__orders",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0, "compiled customer_id on BigQuery with no pepper set"
    assert "SHOP_ANALYTICS_CUSTOMER_ID_PEPPER is not set" in output, output[-3000:]
    assert "airflow-variables-customer_id_pepper" in output, "the error must name the secret to set"
