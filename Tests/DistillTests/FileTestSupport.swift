// The temporary-folder, IDX and error-message helpers every file here uses.
@_exported import FileTestSupport
