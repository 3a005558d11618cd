{#
    The nine raw tables of the source contract and the staging model that owns each one's
    quality rules: the one list the quarantine, the reconciliation and their tests loop over.
    states_model: the table is delivered as a history of states (a re-delivery is a new state,
    kept with every rule it breaks in this companion model), so only exact re-sends (and a version not kept of two delivered for one time in one batch) are duplicates.
#}
{% macro marketplace_tables() %}
    {{ return([
        {'table': 'users', 'model': 'stg_marketplace__users', 'key': 'user_id', 'states_model': 'stg_marketplace__user_states'},
        {'table': 'vehicles', 'model': 'stg_marketplace__vehicles', 'key': 'vehicle_id', 'states_model': 'stg_marketplace__vehicle_states'},
        {'table': 'bat_listings', 'model': 'stg_marketplace__bat_listings', 'key': 'listing_id'},
        {'table': 'vehicle_images', 'model': 'stg_marketplace__vehicle_images', 'key': 'image_id'},
        {'table': 'comments', 'model': 'stg_marketplace__comments', 'key': 'comment_id'},
        {'table': 'bids', 'model': 'stg_marketplace__bids', 'key': 'bid_id'},
        {'table': 'technicians', 'model': 'stg_marketplace__technicians', 'key': 'technician_id', 'states_model': 'stg_marketplace__technician_states'},
        {'table': 'service_records', 'model': 'stg_marketplace__service_records', 'key': 'work_order_id'},
        {'table': 'ownerships', 'model': 'stg_marketplace__ownerships', 'key': 'ownership_id'},
    ]) }}
{% endmacro %}
