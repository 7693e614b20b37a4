// The local executor lands here.
