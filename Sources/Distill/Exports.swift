@_exported import DataFormats
@_exported import NN
