/*
 * A child process for NativeMemoryTest: reports the native memory cap this fresh JVM ended up with ("cap <bytes>",
 * "origin <text>"), then allocates one float32 tensor of shape args[0] x args[1] and prints "ok", or, when that
 * fails with an OutOfMemoryError, "error <class>", the error's message as printed, and "end". A fresh JVM is needed
 * because JavaCPP reads its cap once, when its Pointer class is first used.
 */
package dev.perennial.tensor;

public final class AllocateMain {
    private AllocateMain() {}

    public static void main(String[] args) {
        int rows = Integer.parseInt(args[0]), cols = Integer.parseInt(args[1]);
        try (Tensor t = Tensor.zeros(DType.F32, rows, cols)) {
            System.out.println("cap " + NativeMemory.cap());
            System.out.println("origin " + NativeMemory.origin());
            System.out.println("ok " + t.numel());
        } catch (OutOfMemoryError e) {
            System.out.println("cap " + NativeMemory.cap());
            System.out.println("origin " + NativeMemory.origin());
            System.out.println("error " + e.getClass().getName());
            System.out.println(e.getMessage());
            System.out.println("end");
        }
        System.out.flush();
    }
}
