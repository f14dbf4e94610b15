package enum CLISupportPlaceholder {}
