"""Privacy: what each role may see of names and numbers, and the retention job."""

from services.privacy.masking import Masker, Role, mask_id_number, mask_name, mask_phone

__all__ = ["Masker", "Role", "mask_id_number", "mask_name", "mask_phone"]
