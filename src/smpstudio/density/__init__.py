"""Target impression density per session, zones and pigment tone on the scalp."""

from smpstudio.density._field import ZONES, DensityField, FieldSample, zone_names

__all__ = ["ZONES", "DensityField", "FieldSample", "zone_names"]
