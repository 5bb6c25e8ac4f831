"""Vehicle lanes: every occupant screened, the barrier opened only for all (see :mod:`.group`)."""

from gateway.vehicle.group import VehicleGroup

__all__ = ["VehicleGroup"]
