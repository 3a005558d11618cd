{#
    Pre-hook of listing_image_packages: compress this transaction's new jsonb values with lz4 instead of
    PostgreSQL's default pglz. A listing package (2.3 kB of JSON) is always compressed, and with pglz that was the
    largest cost of building the mart; lz4 writes it in about half the time and reads it faster, for 1% more disk
    (hand-measured in BENCHMARKS.md). The other package marts hold a few thousand rows and keep the default.
    Local to the transaction, so nothing else changes. A server built without lz4 rejects the setting: the block
    then keeps pglz with a notice and the build goes on.
#}
{% macro prefer_lz4_compression() -%}
    do $prefer_lz4$
    begin
        perform set_config('default_toast_compression', 'lz4', true);
    exception when invalid_parameter_value then
        raise notice 'lz4 is not available on this server: packages stay compressed with pglz';
    end
    $prefer_lz4$
{%- endmacro %}
