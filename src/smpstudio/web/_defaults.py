"""First-run content: the three consent forms a new clinic starts from (it may publish its
own versions at any time under Team)."""

from __future__ import annotations

from smpstudio.clinic import ClinicRecords

__all__ = ["DEFAULT_CONSENT_FORMS", "publish_default_consent_forms"]

DEFAULT_CONSENT_FORMS: dict[str, tuple[str, str]] = {
    "treatment": (
        "Consent to scalp micropigmentation",
        "I ask for scalp micropigmentation (SMP): a cosmetic tattoo in which carbon pigment is "
        "placed in the upper skin of my scalp, in thousands of small impressions, over about "
        "three sessions a few weeks apart. I understand that it is permanent, that it fades "
        "over the years and needs a touch-up, that the result depends on my skin and on "
        "following the aftercare, that my skin may be red and tender for a few days, and that "
        "infection, an allergic reaction or scarring are rare but possible. I have answered "
        "the health questions truthfully and will tell my practitioner if anything changes. "
        "I may stop the treatment at any time.",
    ),
    "photo": (
        "Consent to clinical photos",
        "I agree that the clinic photographs my scalp before, during and after treatment to "
        "plan it, to check how it heals and to keep my record. The photos are kept with my "
        "record, seen only by the clinic's staff, and not used for anything else. I may "
        "withdraw this consent at any time; photos already taken stay in my clinical record.",
    ),
    "marketing": (
        "Consent to the use of my photos in marketing",
        "I agree that the clinic may show photos of my scalp, without my name or face, on its "
        "web site, social media and printed material. This is separate from clinical photos "
        "and entirely optional. I may withdraw it at any time; the clinic then stops using "
        "the photos in anything new.",
    ),
}


def publish_default_consent_forms(records: ClinicRecords) -> None:
    """Publish version 1 of each consent form that the clinic does not have yet."""
    for kind, (title, body) in DEFAULT_CONSENT_FORMS.items():
        if not records.consent_forms(kind):
            records.publish_consent_form(kind, title=title, body=body)
