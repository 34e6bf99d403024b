"""Client photos: safe ingest, face landmarks and scale, hairline, regions, SMP on the photo.

:func:`ingest_photo` reads JPEG, PNG, WebP or HEIC safely and rebuilds the image from its
pixels (no metadata survives); :func:`analyze_photo` finds the face landmarks (offline,
MediaPipe's bundled face mesh, or by hand), the scale in mm/px, a hairline proposal, the
regions (background, face, hair, thinning and bald scalp, with hand corrections) and the
skin tone; :func:`simulate_photo` places the design's impressions in the treatment region at
physical density and renders them into the photo with the pigment model;
:func:`analyze_series` and :func:`simulate_series` give several photos of one client one
skin reading, one pigment and one hairline height. See ``docs/photo.md``.
"""

from smpstudio.photo._analysis import (
    PhotoAnalysis,
    PhotoEdits,
    PhotoSimulation,
    analyze_photo,
    load_models,
    simulate_photo,
)
from smpstudio.photo._hairline import (
    PHOTO_HAIRLINE_SHAPES,
    HairlineProposal,
    hairline_from_points,
    parse_points,
    propose_hairline,
)
from smpstudio.photo._ingest import (
    ALLOWED_FORMATS,
    MAX_FILE_BYTES,
    MAX_PIXELS,
    MAX_SIDE,
    PHOTO_VIEWS,
    Photo,
    encode_png,
    ingest_photo,
    parse_view,
    sniff_format,
)
from smpstudio.photo._landmarks import (
    LANDMARK_NAMES,
    REQUIRED_LANDMARKS,
    FaceLandmarks,
    detect_landmarks,
    face_landmarks,
    parse_point,
)
from smpstudio.photo._lighting import Lighting
from smpstudio.photo._png import encode_pngs
from smpstudio.photo._render import (
    SIDE_BY_SIDE_MAX_SIDE,
    PhotoImpressions,
    PhotoTreatment,
    SkinMask,
    place_on_photo,
    render_on_photo,
    side_by_side,
)
from smpstudio.photo._scale import (
    DEFAULT_IPD_MM,
    IPD_RANGE_MM,
    MM_PER_PX_RANGE,
    Scale,
    parse_calibration,
    scale_from_calibration,
    scale_from_head_width,
    scale_from_landmarks,
    scale_given,
)
from smpstudio.photo._segment import (
    COVERAGE_WINDOW_MM,
    REGIONS,
    WORK_SIDE,
    Correction,
    Segmentation,
    parse_correction,
    segment_photo,
)
from smpstudio.photo._series import (
    SKIN_TOLERANCE_DE,
    SKIN_TOLERANCE_MONK,
    PhotoSeries,
    SeriesDesign,
    SeriesPigment,
    SeriesSimulation,
    SeriesSkin,
    SkinVote,
    analyze_series,
    contact_sheet,
    photo_seed,
    series_pigment,
    simulate_series,
)

__all__ = [
    "ALLOWED_FORMATS",
    "COVERAGE_WINDOW_MM",
    "DEFAULT_IPD_MM",
    "IPD_RANGE_MM",
    "LANDMARK_NAMES",
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "MAX_SIDE",
    "MM_PER_PX_RANGE",
    "PHOTO_HAIRLINE_SHAPES",
    "PHOTO_VIEWS",
    "REGIONS",
    "REQUIRED_LANDMARKS",
    "SIDE_BY_SIDE_MAX_SIDE",
    "SKIN_TOLERANCE_DE",
    "SKIN_TOLERANCE_MONK",
    "WORK_SIDE",
    "Correction",
    "FaceLandmarks",
    "HairlineProposal",
    "Lighting",
    "Photo",
    "PhotoAnalysis",
    "PhotoEdits",
    "PhotoImpressions",
    "PhotoSeries",
    "PhotoSimulation",
    "PhotoTreatment",
    "Scale",
    "Segmentation",
    "SeriesDesign",
    "SeriesPigment",
    "SeriesSimulation",
    "SeriesSkin",
    "SkinMask",
    "SkinVote",
    "analyze_photo",
    "analyze_series",
    "contact_sheet",
    "detect_landmarks",
    "encode_png",
    "encode_pngs",
    "face_landmarks",
    "hairline_from_points",
    "ingest_photo",
    "load_models",
    "parse_calibration",
    "parse_correction",
    "parse_point",
    "parse_points",
    "parse_view",
    "photo_seed",
    "place_on_photo",
    "propose_hairline",
    "render_on_photo",
    "scale_from_calibration",
    "scale_from_head_width",
    "scale_from_landmarks",
    "scale_given",
    "segment_photo",
    "series_pigment",
    "side_by_side",
    "simulate_photo",
    "simulate_series",
    "sniff_format",
]
