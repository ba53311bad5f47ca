import NN

/// Turns the optimizer and schedule sections of a config into engine objects.
enum OptimizerFactory {
    static func make(_ config: OptimizerConfig, parameters: [Parameter]) -> Optimizer {
        switch config.name {
        case .sgd:
            return SGD(
                parameters: parameters, momentum: config.momentum, nesterov: config.nesterov,
                weightDecay: config.weightDecay)
        case .adam:
            return Adam(
                parameters: parameters, beta1: config.betas[0], beta2: config.betas[1], eps: config.eps,
                weightDecay: config.weightDecay)
        case .adamw:
            return AdamW(
                parameters: parameters, beta1: config.betas[0], beta2: config.betas[1], eps: config.eps,
                weightDecay: config.weightDecay)
        }
    }

    static func schedule(_ config: ScheduleConfig, epochs: Int) -> LearningRateSchedule {
        switch config.name {
        case .constant: return .constant
        case .step: return .step(stepSize: config.stepSize ?? 1, gamma: config.gamma)
        case .cosine:
            return .cosine(totalEpochs: epochs, minLearningRate: config.minLR, warmupEpochs: config.warmupEpochs)
        }
    }
}
