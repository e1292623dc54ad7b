"""OCR-misspelled names and address lines take the one master-data spelling near them; nothing else moves."""

from o2c.extraction.grounding import Grounding

GROUNDING = Grounding(
    customer_names=frozenset({"Meridian Packaging S.r.l.", "Granite Logistics S.L.", "Granite Logistics S.A."}),
    addresses=frozenset({"628 Hauptstraße\n10121 Torino", "536 Hauptstraße\nAustin, TX 78701"}),
)


def test_an_ocr_misread_one_or_two_glyphs_off_a_known_spelling_takes_it():
    assert GROUNDING.ocr_spelling("Meridian Packaging S.r.I.") == "Meridian Packaging S.r.l."
    assert GROUNDING.ocr_spelling("628 HauptstraRe") == "628 Hauptstraße"
    assert GROUNDING.ocr_spelling("536 HauptstraBe") == "536 Hauptstraße"


def test_exact_unknown_and_ambiguous_reads_are_left_alone():
    assert GROUNDING.ocr_spelling("Meridian Packaging S.r.l.") is None  # already right
    assert GROUNDING.ocr_spelling("Harbor Freight Tools Inc.") is None  # nobody we know
    assert GROUNDING.ocr_spelling("Granite Logistics S.B.") is None  # as near to S.L. as to S.A.


def test_a_name_read_without_its_legal_form_takes_the_master_data_spelling_only_when_one_customer_has_it():
    assert GROUNDING.spelling_of("Meridian Packaging") == "Meridian Packaging S.r.l."
    assert GROUNDING.spelling_of("Granite Logistics") is None  # S.L. and S.A. share the name


def test_a_legal_form_whose_dots_ocr_lost_is_compared_on_its_letters():
    grounding = Grounding(customer_names=frozenset({"Corvid Robotics S.r.l.", "Orion Robotics S.p.A."}))
    assert grounding.ocr_spelling("Corvid Robotics Sirk") == "Corvid Robotics S.r.l."
    assert grounding.ocr_spelling("Corvid Robotics GmbH") is None  # another legal form is another company
