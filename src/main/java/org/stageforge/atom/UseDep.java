package org.stageforge.atom;


import java.util.Objects;
import java.util.Set;

/**
 * One USE dependency of an atom ({@code [a,-b,c=,!d=,e?,!f?,g(+),h(-)]}).
 *
 * @param flag the USE flag name
 * @param kind what is required of the flag
 * @param missing what to assume when the flag is not in the target's IUSE
 */
public record UseDep(String flag, Kind kind, Missing missing) {

    /** The operator forms, with their prefix and suffix text. */
    public enum Kind {
        /** {@code flag}: must be enabled. */
        ENABLED("", ""),
        /** {@code -flag}: must be disabled. */
        DISABLED("-", ""),
        /** {@code flag?}: enabled if enabled in the parent. */
        IF_ENABLED("", "?"),
        /** {@code !flag?}: disabled if disabled in the parent. */
        IF_DISABLED("!", "?"),
        /** {@code flag=}: same state as in the parent. */
        EQUAL("", "="),
        /** {@code !flag=}: opposite state to the parent's. */
        NOT_EQUAL("!", "=");

        final String prefix;
        final String suffix;

        Kind(String prefix, String suffix) {
            this.prefix = prefix;
            this.suffix = suffix;
        }

        /** True for the forms that depend on the parent's USE. */
        public boolean conditional() {
            return this != ENABLED && this != DISABLED;
        }
    }

    /** The {@code (+)}/{@code (-)} default for flags missing from IUSE. */
    public enum Missing {
        NONE(""), ENABLED("(+)"), DISABLED("(-)");

        final String text;

        Missing(String text) {
            this.text = text;
        }
    }

    public UseDep {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(missing, "missing");
        if (!Names.isValidUseFlag(flag)) throw new IllegalArgumentException("invalid USE flag: " + flag);
    }

    /** Parses one token; {@code atom}/{@code offset} locate it for the error message. */
    static UseDep parse(String atom, int from, int to) {
        int i = from;
        boolean bang = false, minus = false;
        if (i < to && atom.charAt(i) == '!') {
            bang = true;
            i++;
        } else if (i < to && atom.charAt(i) == '-') {
            minus = true;
            i++;
        }
        int flagStart = i;
        while (i < to && atom.charAt(i) != '(' && atom.charAt(i) != '?' && atom.charAt(i) != '=') i++;
        if (!Names.isUseFlag(atom, flagStart, i)) throw Errors.at("atom", atom, flagStart, "invalid USE flag in USE dependency");
        String flag = atom.substring(flagStart, i);
        Missing missing = Missing.NONE;
        if (i < to && atom.charAt(i) == '(') {
            if (atom.startsWith("(+)", i)) missing = Missing.ENABLED;
            else if (atom.startsWith("(-)", i)) missing = Missing.DISABLED;
            else throw Errors.at("atom", atom, i, "expected (+) or (-)");
            i += 3;
        }
        char suffix = 0;
        if (i < to && (atom.charAt(i) == '?' || atom.charAt(i) == '=')) suffix = atom.charAt(i++);
        if (i != to) throw Errors.at("atom", atom, i, "unexpected text in USE dependency");
        Kind kind;
        if (suffix == 0) {
            if (bang) throw Errors.at("atom", atom, from, "'!' needs a '?' or '=' suffix");
            kind = minus ? Kind.DISABLED : Kind.ENABLED;
        } else if (minus) {
            throw Errors.at("atom", atom, from, "'-' cannot be combined with '" + suffix + "'");
        } else if (suffix == '?') {
            kind = bang ? Kind.IF_DISABLED : Kind.IF_ENABLED;
        } else {
            kind = bang ? Kind.NOT_EQUAL : Kind.EQUAL;
        }
        return new UseDep(flag, kind, missing);
    }

    /** Parses one token such as {@code !foo(+)=}. */
    public static UseDep parse(String token) {
        return parse(token, 0, token.length());
    }

    /**
     * The unconditional form given the parent's USE, or null when the dependency vanishes
     * ({@code x?} with x off, {@code !x?} with x on). The (+)/(-) default is kept.
     */
    public UseDep evaluate(Set<String> parentUse) {
        boolean on = parentUse.contains(flag);
        return switch (kind) {
            case ENABLED, DISABLED -> this;
            case IF_ENABLED -> on ? new UseDep(flag, Kind.ENABLED, missing) : null;
            case IF_DISABLED -> on ? null : new UseDep(flag, Kind.DISABLED, missing);
            case EQUAL -> new UseDep(flag, on ? Kind.ENABLED : Kind.DISABLED, missing);
            case NOT_EQUAL -> new UseDep(flag, on ? Kind.DISABLED : Kind.ENABLED, missing);
        };
    }

    /**
     * PMS check of an unconditional dependency against a package's USE and IUSE; a flag missing
     * from IUSE takes the (+)/(-) default and, without one, never satisfies. Conditional forms
     * are not decided here (see {@link Atom#evaluateConditionals}) and count as satisfied.
     */
    public boolean satisfiedBy(Set<String> enabledUse, Set<String> iuse) {
        if (kind.conditional()) return true;
        boolean want = kind == Kind.ENABLED;
        if (!iuse.contains(flag)) {
            return missing == (want ? Missing.ENABLED : Missing.DISABLED);
        }
        return enabledUse.contains(flag) == want;
    }

    @Override
    public String toString() {
        return kind.prefix + flag + missing.text + kind.suffix;
    }
}
