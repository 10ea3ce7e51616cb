package dev.tokenkeeper.domain;

import java.util.List;

/**
 * The configuration cannot work. Lists every problem found, each naming the setting, so that one
 * run shows all there is to fix. Never carries a secret value.
 */
public final class ConfigurationException extends TokenException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /** One problem. */
    public ConfigurationException(String problem) {
        this(List.of(problem));
    }

    /**
     * Several problems.
     *
     * @throws IllegalArgumentException if {@code problems} is empty
     */
    public ConfigurationException(List<String> problems) {
        super(FailureKind.BAD_CONFIGURATION, format(problems));
        this.problems = List.copyOf(problems);
    }

    /** Each problem, naming its setting. */
    public List<String> problems() {
        return problems;
    }

    private static String format(List<String> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a configuration exception needs at least one problem");
        }
        if (problems.size() == 1) {
            return "invalid configuration: " + problems.get(0);
        }
        return "invalid configuration (" + problems.size() + " problems):\n  - " + String.join("\n  - ", problems);
    }
}
