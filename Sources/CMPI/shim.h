// Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE ...) are macros over
// extern structs that Swift cannot import; these getters hand them over as plain values.
#include <mpi.h>

static inline MPI_Comm kd_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype kd_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype kd_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Op kd_mpi_sum(void) { return MPI_SUM; }
static inline void *kd_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int kd_mpi_success(void) { return MPI_SUCCESS; }
