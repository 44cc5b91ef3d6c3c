# Local image: the Composer image's Airflow (3.2.2, Python 3.11) plus what requirements.txt
# adds on Composer, plus the embedded DuckDB target. Used by docker-compose.yaml only;
# Composer itself installs requirements.txt (see composer/).
FROM apache/airflow:3.2.2-python3.11
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt dbt-duckdb==1.11.1 duckdb==1.4.4 pyarrow==26.0.1 numpy==2.4.6 \
      fastapi==0.156.0 svcs==26.1.0
