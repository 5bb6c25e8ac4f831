"""The gate kiosk: one gate, full screen beside the lane."""
