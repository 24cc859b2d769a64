-- Records of whole-set actions (a range import, a migration batch) name no single number; a number's history finds
-- them by the basis they carry (the range's input SHA-256, the batch id).
CREATE INDEX audit_records_basis ON audit_records ((envelope ->> 'basis')) WHERE msisdn IS NULL;
