"""The packages against the generator's ground truth: what is a car, one car under one name, the vehicle
as of the listing start. The truth tables are written by the generator from what it delivered, a source
independent of the models."""

from __future__ import annotations

import json
from collections import Counter, defaultdict


def defective_vehicles(db) -> set[int]:
    """Vehicles the generator made dirty on purpose: their delivered values are not what a package shows."""
    return {
        int(key)
        for (key,) in db.execute("select record_key from raw._injected_defects where table_name = 'vehicles'")
    }


def test_non_car_lots_stay_out_of_car_packages(db, built_project):
    """Parts, automobilia, two-wheelers, ATVs and other vehicles planted under car makes: >= 95% precision and
    recall of the listing-level lot category that decides what reaches a car package."""
    listings = built_project.relation("int_listings_enriched")
    rows = db.execute(
        f"""
        select truth.lot_category, truth.family, listings.lot_category
        from {listings} as listings
        inner join raw._lot_truth as truth on listings.vehicle_id = truth.vehicle_id
        """
    ).fetchall()
    planted = [(family, predicted) for truth, family, predicted in rows if truth != "car"]
    cars = [predicted for truth, _, predicted in rows if truth == "car"]
    true_positives = sum(predicted != "car" for _, predicted in planted)
    false_positives = sum(predicted != "car" for predicted in cars)
    recall = true_positives / len(planted)
    precision = true_positives / (true_positives + false_positives)
    missed = Counter(family for family, predicted in planted if predicted == "car")
    print(
        f"non-car lots: {len(planted)} planted among {len(rows)} listings; precision {precision:.1%}, "
        f"recall {recall:.1%}; missed by family {dict(missed)}; cars taken for non-cars {false_positives}"
    )
    assert len(planted) >= 10  # about 2% of the lots at the test sample's scale
    assert precision >= 0.95 and recall >= 0.95
    agree = sum((truth == predicted) for truth, _, predicted in rows if truth != "car")
    print(f"exact category of the non-car lots: {agree / len(planted):.1%}")


def test_two_platforms_spellings_of_a_car_meet(db, built_project):
    """Every vehicle of one true make and model gets one canonical make and model, whichever platform's
    spelling it arrived in (UI text, taxonomy, a repeated make, chassis codes, capitals)."""
    vehicles = built_project.relation("stg_marketplace__vehicles")
    dirty = defective_vehicles(db)
    names: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for vehicle_id, true_make, true_model, make, model_key in db.execute(
        f"""
        select truth.vehicle_id, truth.canonical_make, truth.canonical_model, vehicles.make, vehicles.model_key
        from raw._vehicle_truth as truth
        inner join raw._lot_truth as lots on truth.vehicle_id = lots.vehicle_id
        inner join {vehicles} as vehicles on truth.vehicle_id = vehicles.vehicle_id
        where lots.lot_category = 'car' and not vehicles.has_blocking_issue
        """
    ):
        if vehicle_id not in dirty:
            names[(true_make, true_model)][(make, model_key)] += 1
    total = sum(sum(counter.values()) for counter in names.values())
    meeting = sum(counter.most_common(1)[0][1] for counter in names.values())
    split = {truth: dict(counter) for truth, counter in names.items() if len(counter) > 1}
    print(f"{meeting} of {total} cars under their model's one canonical name; split models: {list(split.items())[:5]}")
    assert total >= 100 and meeting / total >= 0.99
    # One canonical name never gathers two true models.
    owners: dict[tuple[str, str], set] = defaultdict(set)
    for truth, counter in names.items():
        owners[counter.most_common(1)[0][0]].add(truth)
    merged = {name: truths for name, truths in owners.items() if len(truths) > 1}
    assert not merged, f"one canonical name for several true models: {list(merged.items())[:5]}"


def test_packages_show_the_vehicle_as_of_the_listing_start(db, built_project):
    """Mileage, colour and grade in a package are those of the vehicle state delivered before the listing
    started, as the generator recorded them; null (or the listing's own evidence for mileage) when none."""
    mart = built_project.relation("listing_image_packages")
    dirty = defective_vehicles(db)
    checked = mismatched = 0
    examples = []
    for listing_id, vehicle_id, truth_mileage, truth_color, truth_grade, package_text in db.execute(
        f"""
        select distinct on (packages.listing_id)
            truth.listing_id, truth.vehicle_id, truth.mileage, truth.color, truth.condition_rating,
            packages.package::text
        from {mart} as packages
        inner join raw._listing_vehicle_truth as truth on packages.listing_id = truth.listing_id
        """
    ):
        if vehicle_id in dirty:
            continue
        vehicle = json.loads(package_text)["vehicle_context"]
        checked += 1
        expected_grade = None if truth_grade is None else float(truth_grade)
        grade = None if vehicle["condition_rating"] is None else float(vehicle["condition_rating"])
        wrong = vehicle["color"] != truth_color or grade != expected_grade
        if truth_mileage is not None:
            wrong |= (vehicle["mileage"], vehicle["mileage_source"]) != (truth_mileage, "vehicle_record")
        else:
            wrong |= vehicle["mileage_source"] == "vehicle_record"
        if wrong:
            mismatched += 1
            examples.append((listing_id, vehicle, (truth_mileage, truth_color, truth_grade)))
    print(f"{checked} listings checked against the generator's as-of-start vehicle states, {mismatched} differ")
    assert checked >= 50
    assert mismatched == 0, examples[:3]
