import TensorCore

/// Errors reading or writing model files; each names the file and the reason.
public typealias CheckpointError = FileError
