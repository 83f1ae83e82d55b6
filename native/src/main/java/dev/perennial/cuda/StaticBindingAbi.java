/*
 * KernelAbi over a JavaCPP binding class, without hand-written delegation: each interface method `fooBar(...)`
 * calls the binding's `static native int pn_foo_bar(...)` with the same parameter types. Both builds of the
 * kernels are bound this way (EmuKernels for the emulated device, gpu.CudaKernels for the nvcc build), and both
 * binding classes and the interface are generated from the kernel headers, so no launcher is listed by hand. Every method is resolved when the ABI is
 * created, so a binding that lacks a launcher fails at once with its name instead of at the first call.
 * (Reflection costs well under a microsecond per call, small against a kernel launch.)
 */
package dev.perennial.cuda;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

public final class StaticBindingAbi {
    private StaticBindingAbi() {}

    /**
     * @param binding     a class with `public static native int pn_*` launchers
     * @param lastMessage what KernelAbi.lastMessage() returns
     * @throws IllegalArgumentException naming every launcher the binding lacks
     */
    public static KernelAbi of(Class<?> binding, Supplier<String> lastMessage) {
        Map<Method, Method> targets = new HashMap<>();
        StringBuilder missing = new StringBuilder();
        for (Method m : KernelAbi.class.getMethods()) {
            if (m.getName().equals("lastMessage")) continue;
            String name = launcherName(m.getName());
            try {
                Method target = binding.getMethod(name, m.getParameterTypes());
                if (!Modifier.isStatic(target.getModifiers()) || target.getReturnType() != int.class) {
                    throw new NoSuchMethodException(name + " is not a static int method");
                }
                targets.put(m, target);
            } catch (NoSuchMethodException e) {
                missing.append(missing.isEmpty() ? "" : ", ").append(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(binding.getName() + " lacks launchers: " + missing);
        }
        return (KernelAbi) Proxy.newProxyInstance(KernelAbi.class.getClassLoader(), new Class<?>[]{KernelAbi.class},
                (proxy, method, args) -> {
                    Method target = targets.get(method);
                    if (target != null) {
                        try {
                            return target.invoke(null, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    }
                    return switch (method.getName()) {
                        case "lastMessage" -> lastMessage.get();
                        case "toString" -> "KernelAbi(" + binding.getSimpleName() + ")";
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> throw new UnsupportedOperationException(method.toString());
                    };
                });
    }

    /** softmaxRows -> pn_softmax_rows */
    static String launcherName(String method) {
        StringBuilder sb = new StringBuilder("pn_");
        for (char c : method.toCharArray()) {
            if (Character.isUpperCase(c)) sb.append('_').append(Character.toLowerCase(c));
            else sb.append(c);
        }
        return sb.toString();
    }
}
