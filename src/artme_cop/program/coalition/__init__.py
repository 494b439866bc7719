"""The guiding coalition of a school: spheres with members and two co-leads, SMART change targets, tactical plans and DARCI grids."""
