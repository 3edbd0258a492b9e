import ArgumentParser
import Checkpoint
import Training

// Typed settings as command-line values: an unknown value is refused with the list of valid ones.
extension OptimizerKind: ExpressibleByArgument {}
extension ScheduleKind: ExpressibleByArgument {}
extension MonitorChoice: ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
extension ResizeMode: ExpressibleByArgument {}
extension ColorMode: ExpressibleByArgument {}
