"""mesoclinic: software for mesotherapy clinics."""
