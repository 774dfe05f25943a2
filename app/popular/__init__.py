"""Most read: view beacons, hourly counts, and the ranking over a window."""
