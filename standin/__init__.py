"""Local stand-ins for the cloud: what replaces Airbyte, the source APIs, BigQuery and GCS on
one machine. Never imported by deployed code (dags/, plugins/)."""
