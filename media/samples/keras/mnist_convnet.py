"""The convnet of keras.io's "Simple MNIST convnet" example (Keras reports 34,826 parameters).

ConvLens reads Keras source too: each layer gets its output shape as a hint, the model its totals.
"""
import keras
from keras import layers

num_classes = 10
input_shape = (28, 28, 1)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)

if __name__ == "__main__":
    (x_train, y_train), _ = keras.datasets.mnist.load_data()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train[..., None] / 255.0, y_train, batch_size=128, epochs=15, validation_split=0.1)
