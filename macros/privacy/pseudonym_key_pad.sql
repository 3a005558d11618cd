{#
    One HMAC pad (RFC 2104): the key (macro pseudonym_key_setting), hashed
    when longer than the 64-byte SHA-256 block, zero-padded to 64 bytes, each byte XOR `pad_byte`
    (54 = 0x36 for the inner pad, 92 = 0x5c for the outer). An uncorrelated sub-select: PostgreSQL
    computes it once per query, not per row.
#}
{% macro pseudonym_key_pad(pad_byte) -%}
    {#- a XOR b as (a | b) - (a & b): the same bits, in operators every SQL linter reads. -#}
    {%- set key_byte = 'get_byte(block.key_block, byte.position)' -%}
    {%- set xor_pad_byte = '(' ~ key_byte ~ ' | ' ~ pad_byte ~ ') - (' ~ key_byte ~ ' & ' ~ pad_byte ~ ')' -%}
    (
        select decode(
            string_agg(lpad(to_hex({{ xor_pad_byte }}), 2, '0'), '' order by byte.position),
            'hex'
        )
        from (
            select shortened.key_bytes || decode(repeat('00', 64 - length(shortened.key_bytes)), 'hex') as key_block
            from (
                select case when length(delivered.key_bytes) > 64 then sha256(delivered.key_bytes) else delivered.key_bytes end
                    as key_bytes
                from (select convert_to({{ pseudonym_key_setting() }}, 'UTF8') as key_bytes) as delivered
            ) as shortened
        ) as block
        cross join generate_series(0, 63) as byte (position)
    )
{%- endmacro %}
