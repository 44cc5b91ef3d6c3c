{#- Keyed pseudonyms: HMAC-SHA256 (RFC 2104) of an expression under a secret pepper, as
    lowercase hex. Etsy buyer ids are sequential integers: an unkeyed hash of them can be
    reversed by anyone holding the reporting tables by hashing every id; without the pepper
    it cannot. Neither DuckDB nor BigQuery has an HMAC function, both have SHA-256 over bytes,
    and HMAC(K, m) = SHA256((K ^ opad) || SHA256((K ^ ipad) || m)). The key is known when the
    model compiles, so the two padded keys are computed here and SQL only hashes and concatenates.

    The pepper is hex (`openssl rand -hex 32`, at most 64 bytes: a longer key would first be
    hashed, which Jinja cannot), read from the environment variable SHOP_ANALYTICS_CUSTOMER_ID_PEPPER:
    on Composer the DAG fills it from Secret Manager (airflow-variables-customer_id_pepper).
    DuckDB runs on a laptop fall back to a documented, public local pepper; BigQuery refuses
    to build without a real one. Changing the pepper changes every customer_id. -#}
{% macro hmac_sha256_hex(expression) -%}
    {%- set key_hex = customer_id_pepper_hex() -%}
    {{ return(adapter.dispatch('hmac_sha256_hex', 'shop_analytics')(
        expression, hmac_padded_key_hex(key_hex, 54), hmac_padded_key_hex(key_hex, 92))) }}
{%- endmacro %}

{% macro default__hmac_sha256_hex(expression, inner_key_hex, outer_key_hex) -%}
    sha256(unhex('{{ outer_key_hex }}') || unhex(sha256(unhex('{{ inner_key_hex }}') || encode(cast({{ expression }} as varchar)))))
{%- endmacro %}

{% macro bigquery__hmac_sha256_hex(expression, inner_key_hex, outer_key_hex) -%}
    to_hex(sha256(from_hex('{{ outer_key_hex }}') || sha256(from_hex('{{ inner_key_hex }}') || cast(cast({{ expression }} as string) as bytes))))
{%- endmacro %}

{#- The public pepper of local DuckDB runs (hex of "local-only-customer-id-pepper"): local data
    is simulated. Production must set its own. -#}
{% macro customer_id_pepper_hex() -%}
    {%- set pepper = env_var('SHOP_ANALYTICS_CUSTOMER_ID_PEPPER', '') | trim | lower -%}
    {%- if not pepper -%}
        {%- if target.type == 'bigquery' and execute -%}
            {{ exceptions.raise_compiler_error(
                "SHOP_ANALYTICS_CUSTOMER_ID_PEPPER is not set: customer_id would be reversible. Set the Secret Manager "
                ~ "secret airflow-variables-customer_id_pepper (composer/README.md, step 3) or the environment variable.") }}
        {%- endif -%}
        {%- set pepper = '6c6f63616c2d6f6e6c792d637573746f6d65722d69642d706570706572' -%}
    {%- endif -%}
    {%- if not modules.re.fullmatch('([0-9a-f]{2}){16,64}', pepper) -%}
        {{ exceptions.raise_compiler_error(
            "SHOP_ANALYTICS_CUSTOMER_ID_PEPPER must be 16 to 64 bytes written as hex (e.g. `openssl rand -hex 32`); "
            ~ "got " ~ (pepper | length) ~ " characters that are not.") }}
    {%- endif -%}
    {{ return(pepper) }}
{%- endmacro %}

{#- The key, zero-padded to SHA-256's 64-byte block, each byte XOR-ed with `pad` (0x36 inner,
    0x5c outer), as hex. Jinja has no XOR: it is summed bit by bit. -#}
{% macro hmac_padded_key_hex(key_hex, pad) -%}
    {%- set padded = key_hex ~ ('00' * (64 - (key_hex | length) // 2)) -%}
    {%- set out = [] -%}
    {%- for position in range(0, 128, 2) -%}
        {%- set byte = padded[position:position + 2] | int(base=16) -%}
        {%- set ns = namespace(value=0) -%}
        {%- for bit in range(8) -%}
            {%- set ns.value = ns.value + (((byte // 2 ** bit) + (pad // 2 ** bit)) % 2) * 2 ** bit -%}
        {%- endfor -%}
        {%- do out.append('%02x' % ns.value) -%}
    {%- endfor -%}
    {{ return(out | join('')) }}
{%- endmacro %}
